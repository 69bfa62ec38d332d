"""The controller image built FROM the real jenkins/jenkins LTS image (skips when it cannot
be pulled, as on machines without Docker Hub): starts on a root-owned bind-mounted home with
the setup wizard off, serves /login as uid 1000, reaches the Docker socket, stops on SIGTERM.

Plugins: set JENKINSGEN_E2E_BUNDLE to a plugins.lock or a directory of .jpi files to bake a
real bundle in (configuration-as-code makes the rendered casc take effect).
"""

from __future__ import annotations

import contextlib
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import pytest

from jenkinsgen.images import ImageInputs, build_image, plugins_from_bundle
from tests.dockerlib.fixtures import DockerCleanup, free_port
from tests.e2e.conftest import wait_for_login

pytestmark = [pytest.mark.e2e, pytest.mark.docker, pytest.mark.slow]


@pytest.fixture(scope="module")
def real_controller_image(
    docker_client: Any, real_base: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    bundle = os.environ.get("JENKINSGEN_E2E_BUNDLE")
    plugins = None
    if bundle:
        plugins = plugins_from_bundle(Path(bundle), tmp_path_factory.mktemp("plugins"))
    tag = f"jenkinsgen-test/controller-e2e:{uuid.uuid4().hex[:10]}"
    try:
        build_image(docker_client, ImageInputs("controller", plugins_dir=plugins), tag, real_base)
        yield tag
    finally:
        with contextlib.suppress(docker.errors.ImageNotFound):
            docker_client.images.remove(tag, force=True)


def test_real_controller_starts_on_a_root_owned_home(
    docker_cleanup: DockerCleanup, real_controller_image: str, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o755)
    port = free_port()
    container = docker_cleanup.run(
        real_controller_image,
        environment={
            "JENKINS_OPTS": f"--httpPort={port} --httpListenAddress=127.0.0.1",
            "JENKINS_ADMIN_PASSWORD": uuid.uuid4().hex,
        },
        volumes={
            str(home): {"bind": "/var/jenkins_home", "mode": "rw"},
            "/var/run/docker.sock": {"bind": "/var/run/docker.sock", "mode": "rw"},
        },
    )
    assert wait_for_login(port, container) == 200
    assert home.stat().st_uid == 1000 and (home / "config.xml").stat().st_uid == 1000
    assert not (home / "secrets" / "initialAdminPassword").exists()  # wizard off
    code, out = container.exec_run(
        ["docker", "version", "--format", "{{.Server.Version}}"], user="jenkins"
    )
    assert code == 0, out
    started = time.monotonic()
    container.stop(timeout=60)
    container.reload()
    assert time.monotonic() - started < 30
    assert container.attrs["State"]["ExitCode"] in (0, 143)
