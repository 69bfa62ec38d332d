"""Images area: the controller and agent images built once per session from stand-in bases."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import pytest

from jenkinsgen.images import ImageInputs, build_image
from tests.dockerlib.plugins import make_plugin
from tests.render.conftest import groovy  # noqa: F401  (the seed job's Jenkinsfile is parsed)

PLUGINS = {"mailer": "488.v0c9639c1a_eb_3", "junit": "1.43", "configuration-as-code": "1971.v"}


@pytest.fixture(scope="session")
def bundle_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A plugin bundle directory as `jenkinsgen bundle download` leaves it."""
    where = tmp_path_factory.mktemp("bundle")
    for name, version in PLUGINS.items():
        make_plugin(where, name, version)
    return where


def _build_and_remove(client: Any, inputs: ImageInputs, base: str, kind: str) -> Iterator[str]:
    tag = f"jenkinsgen-test/{kind}:{uuid.uuid4().hex[:10]}"
    try:
        build_image(client, inputs, tag, base)
        yield tag
    finally:
        with contextlib.suppress(docker.errors.ImageNotFound):
            client.images.remove(tag, force=True)


@pytest.fixture(scope="session")
def controller_image(
    docker_client: Any, standin_jenkins_image: str, bundle_dir: Path
) -> Iterator[str]:
    inputs = ImageInputs(kind="controller", plugins_dir=bundle_dir)
    yield from _build_and_remove(docker_client, inputs, standin_jenkins_image, "controller")


@pytest.fixture(scope="session")
def agent_image(docker_client: Any, standin_agent_image: str) -> Iterator[str]:
    inputs = ImageInputs(kind="agent")
    yield from _build_and_remove(docker_client, inputs, standin_agent_image, "agent")
