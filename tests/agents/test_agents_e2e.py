"""End to end: an agent from `agents up` really connects to the real Jenkins LTS controller and
runs a build that talks to the Docker engine through the mounted socket.

Needs the official ``jenkins/jenkins`` and ``jenkins/inbound-agent`` images (pulled when
missing); where they cannot be had, as on the build machines, it skips with that reason.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Iterator
from typing import Any

import jenkins
import pytest
from click.testing import CliRunner

from jenkinsgen.cli.main import cli
from jenkinsgen.images import ImageInputs, build_image
from tests.dockerlib.pull import image_or_skip
from tests.e2e.conftest import RealJenkins, real_jenkins  # noqa: F401 - the fixture

pytestmark = [pytest.mark.e2e, pytest.mark.docker, pytest.mark.slow]

AGENT_BASE = "jenkins/inbound-agent:latest-jdk21"
PIPELINE = """<?xml version='1.1' encoding='UTF-8'?>
<flow-definition plugin="workflow-job">
  <definition class="org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition" plugin="workflow-cps">
    <script>node('e2e-docker') { sh 'docker version --format {{.Server.Version}}' }</script>
    <sandbox>true</sandbox>
  </definition>
</flow-definition>
"""


@pytest.fixture(scope="module")
def real_agent_image(docker_client: Any) -> Iterator[str]:
    image_or_skip(docker_client, AGENT_BASE)
    built = f"jenkinsgen-test/agents-e2e:{uuid.uuid4().hex[:8]}"
    try:
        build_image(docker_client, ImageInputs(kind="agent"), built, AGENT_BASE)
        yield built
    finally:
        with contextlib.suppress(Exception):
            docker_client.images.remove(built, force=True)


def test_agent_connects_and_builds_through_the_socket(
    real_jenkins: RealJenkins,  # noqa: F811
    real_agent_image: str,
) -> None:
    url = real_jenkins.url
    runner = CliRunner()
    base = ["agents", "up", "--url", url, "--label", "e2e-docker", "--image", real_agent_image]
    try:
        result = runner.invoke(
            cli, [*base, "--count", "1", "--websocket", "--wait", "--timeout", "240"]
        )
        assert result.exit_code == 0, result.output
        server = jenkins.Jenkins(url)
        server.create_job("agents-e2e", PIPELINE)
        server.build_job("agents-e2e")
        info: dict[str, Any] = {}
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            with contextlib.suppress(jenkins.JenkinsException):
                info = server.get_build_info("agents-e2e", 1)
                if not info["building"] and info["result"]:
                    break
            time.sleep(3)
        console = server.get_build_console_output("agents-e2e", 1)
        assert info.get("result") == "SUCCESS", console
        assert "e2e-docker-agent-1" in console
    finally:
        runner.invoke(cli, ["agents", "down", "--url", url, "--all"])
