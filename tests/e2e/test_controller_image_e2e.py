"""The controller image built FROM the real jenkins/jenkins LTS image (skips when it cannot
be pulled, as on machines without Docker Hub): starts on a root-owned bind-mounted home with
the setup wizard off, serves /login as uid 1000, reaches the Docker socket, stops on SIGTERM.

Plugins: set JENKINSGEN_E2E_BUNDLE to a plugins.lock or a directory of .jpi files to bake a
real bundle in (configuration-as-code makes the rendered casc.yaml take effect).
"""

from __future__ import annotations

import contextlib
import os
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import pytest

from jenkinsgen.images import ImageInputs, build_image, plugins_from_bundle
from tests.dockerlib.fixtures import DockerCleanup, free_port
from tests.dockerlib.pull import image_or_skip

pytestmark = [pytest.mark.e2e, pytest.mark.docker, pytest.mark.slow]

BASE = os.environ.get("JENKINSGEN_E2E_BASE", "jenkins/jenkins:2.555.2-lts-jdk21")


@pytest.fixture(scope="module")
def real_base(docker_client: Any) -> Iterator[str]:
    """The real base image; one this fixture had to pull is removed again afterwards."""
    _, pulled = image_or_skip(docker_client, BASE)
    try:
        yield BASE
    finally:
        if pulled:
            with contextlib.suppress(docker.errors.APIError):
                docker_client.images.remove(BASE)


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


def wait_for_login(port: int, container: Any, timeout: float = 300) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5) as reply:
                return int(reply.status)
        except urllib.error.HTTPError as exc:
            if exc.code != 503:  # 503 while Jenkins is starting
                return int(exc.code)
        except OSError:
            pass
        container.reload()
        if container.status == "exited":
            raise AssertionError(container.logs().decode(errors="replace")[-3000:])
        time.sleep(2)
    raise AssertionError("Jenkins did not serve /login in time")


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
    container.stop(timeout=120)  # 137 (SIGKILL after the timeout) would fail the check below
    container.reload()
    assert container.attrs["State"]["ExitCode"] in (0, 143)
