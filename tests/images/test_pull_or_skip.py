"""The e2e suites skip only when an image cannot be pulled from here, and fail otherwise."""

from __future__ import annotations

from typing import Any

import docker
import pytest

from tests.dockerlib.pull import image_or_skip

pytestmark = pytest.mark.docker


def test_a_local_image_is_used_without_pulling(docker_client: Any, debian_base_image: str) -> None:
    image, pulled = image_or_skip(docker_client, debian_base_image)
    assert not pulled and debian_base_image in image.tags


def test_an_unreachable_registry_skips_with_the_reason(docker_client: Any) -> None:
    # Nothing listens on port 1 of loopback: the engine cannot reach this registry.
    with pytest.raises(pytest.skip.Exception, match=r"cannot be pulled here"):
        image_or_skip(docker_client, "127.0.0.1:1/jenkinsgen-test/none:1")


def test_any_other_pull_failure_is_an_error_not_a_skip(docker_client: Any) -> None:
    with pytest.raises(docker.errors.APIError):
        image_or_skip(docker_client, "Not_A/Valid..Reference:1")
