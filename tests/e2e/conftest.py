"""The real Jenkins controller for end-to-end tests: the official image of the pinned core.

The image is looked up locally, then pulled with a short timeout; where neither works (no
registry reachable, as on the build machines) every e2e test skips with "image not
available". The container runs with host networking on a free 127.0.0.1 port, the setup
wizard off, and is removed afterwards, even when a test fails.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import docker
import pytest
import requests

from tests.conformance import pins
from tests.dockerlib.pull import image_or_skip

#: The official image of the core we pin (images/controller/Dockerfile), the version the
#: conformance facts were read from. Override with an image that already holds the plugins
#: (e.g. the project's controller image).
IMAGE = os.environ.get("JENKINSGEN_E2E_IMAGE", f"jenkins/jenkins:{pins.core_pin()}-lts-jdk21")
#: Plugins the rendered jobs need, installed at start when the image is the bare official one,
#: each at its version in images/controller/plugins.txt; their dependencies at the lowest
#: version that satisfies them (``--latest false``), so none needs a newer core than the pin.
PLUGIN_NAMES = (
    "cloudbees-folder",
    "workflow-aggregator",
    "workflow-multibranch",
    "git",
    "generic-webhook-trigger",
    "timestamper",
    "credentials-binding",
)


def plugins_argument() -> str:
    """``name:version`` for each of :data:`PLUGIN_NAMES`, as plugins.txt pins them."""
    pinned = pins.plugin_pins()
    return " ".join(f"{name}:{pinned[name]}" for name in PLUGIN_NAMES)


PULL_TIMEOUT = 20
START_TIMEOUT = 600


@dataclass
class RealJenkins:
    url: str
    container: Any


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def real_jenkins() -> Iterator[RealJenkins]:
    """A started Jenkins LTS controller (anonymous admin, no wizard) on 127.0.0.1."""
    try:
        client = docker.from_env(timeout=PULL_TIMEOUT)
        client.ping()
    except docker.errors.DockerException as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"no Docker engine under CI: {exc}")
        pytest.skip(f"image not available (no Docker engine: {exc})")
    image, pulled = image_or_skip(client, IMAGE)
    port = _free_port()
    install = (
        ""
        if "JENKINSGEN_E2E_IMAGE" in os.environ
        else (f"jenkins-plugin-cli --latest false --plugins {plugins_argument()} && ")
    )
    container = None
    try:
        container = client.containers.run(
            image.id,
            entrypoint=[
                "/usr/bin/tini",
                "--",
                "bash",
                "-c",
                f"{install}exec /usr/local/bin/jenkins.sh",
            ],
            environment={
                "JAVA_OPTS": "-Djenkins.install.runSetupWizard=false",
                "JENKINS_OPTS": f"--httpPort={port} --httpListenAddress=127.0.0.1",
            },
            network_mode="host",
            detach=True,
            labels={"jenkinsgen.test": "e2e"},
        )
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            container.reload()
            if container.status == "exited":
                logs = container.logs(tail=40).decode(errors="replace")
                pytest.fail(f"Jenkins exited during start:\n{logs}")
            try:
                if requests.get(url + "/api/json", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                pytest.fail("Jenkins did not answer within the start timeout")
            time.sleep(2)
        yield RealJenkins(url, container)
    finally:
        if container is not None:
            container.remove(force=True, v=True)
        if pulled:
            client.images.remove(image.id, force=True)
        client.close()
