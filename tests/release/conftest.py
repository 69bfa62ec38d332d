"""Release area: the test app image, its version images, and a release world per test
(a spec on free loopback ports, a state directory, Debian's HAProxy) that is torn down with
every container it started, pass or fail."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import docker
import pytest

from tests.dockerlib import base
from tests.release.harness import World, build_version_images, free_range, remove_images

#: The versions the tests deploy: v4 never becomes healthy, v5 exits at once.
VERSIONS = {"v1": "ok", "v2": "ok", "v3": "ok", "v4": "fail", "v5": "exit"}


@pytest.fixture(scope="session")
def release_app_image(docker_client: Any) -> str:
    return base.release_app(docker_client)


@pytest.fixture(scope="session")
def app_images(docker_client: Any, release_app_image: str) -> Iterator[dict[str, str]]:
    """``jenkinsgen-test/relapp-<id>:vN`` for every version in VERSIONS, removed at the end."""
    repo = f"jenkinsgen-test/relapp-{uuid.uuid4().hex[:8]}"
    tags = [f"{repo}:{v}" for v in VERSIONS]
    try:
        yield build_version_images(docker_client, release_app_image, repo, VERSIONS)
    finally:
        remove_images(docker_client, tags)


def _cleanup(world: World) -> None:
    if world.haproxy is not None:
        world.haproxy.stop()
    for container in world.our_containers():
        with contextlib.suppress(docker.errors.NotFound):
            container.remove(force=True, v=True)
    remove_images(world.docker, world.tags)
    shutil.rmtree(world.root, ignore_errors=True)


@pytest.fixture
def make_world(docker_client: Any, app_images: dict[str, str]) -> Iterator[Callable[..., World]]:
    """Factory of release worlds; each is cleaned up when the test ends."""
    made: list[World] = []

    def make(confirm: str = "manual", network: str = "host", haproxy: bool = True) -> World:
        # Short paths: a unix socket path must fit in 108 bytes.
        root = Path(tempfile.mkdtemp(prefix="jg-rel-", dir="/tmp"))
        repo = app_images["v1"].rsplit(":", 1)[0]
        first = free_range(12)
        world = World(
            root=root,
            folder=f"reltest-{uuid.uuid4().hex[:8]}",
            repo=repo,
            images=app_images,
            docker=docker_client,
            listen=first + 10,
            first=first,
            last=first + 7,
            receiver_port=first + 11,
            confirm=confirm,
            network=network,
        )
        made.append(world)
        world.write_spec()
        if haproxy:
            world.start_haproxy()
        return world

    try:
        yield make
    finally:
        for world in made:
            _cleanup(world)


@pytest.fixture
def world(make_world: Callable[..., World]) -> World:
    return make_world()
