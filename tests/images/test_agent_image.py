"""The agent image: builds run as jenkins (1000) through the host's Docker socket."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.dockerlib.fixtures import DockerCleanup
from tests.images.helpers import logs, wait_exit, wait_for_file

pytestmark = pytest.mark.docker

BUILD = """
set -e
echo "uid $(id -u)"
printf 'FROM %s\\nRUN echo from-agent\\n' "$BASE" > /tmp/Dockerfile
docker build --network host -t "$TAG" -f /tmp/Dockerfile /tmp >/dev/null
echo "built $TAG"
"""


def test_agent_builds_an_image_through_the_real_socket_as_uid_1000(
    docker_cleanup: DockerCleanup, agent_image: str, debian_base_image: str
) -> None:
    tag = docker_cleanup.name("jgtest-agentbuild")
    docker_cleanup.images.append(tag)
    container = docker_cleanup.run(
        agent_image,
        command=["bash", "-c", BUILD],
        environment={"BASE": debian_base_image, "TAG": tag},
        volumes={"/var/run/docker.sock": {"bind": "/var/run/docker.sock", "mode": "rw"}},
    )
    assert wait_exit(container, 120) == 0, logs(container)
    out = logs(container)
    assert "uid 1000" in out and f"built {tag}" in out
    docker_cleanup.client.images.get(tag)


def test_agent_starts_as_jenkins_on_a_root_owned_work_dir(
    docker_cleanup: DockerCleanup, agent_image: str, tmp_path: Path
) -> None:
    workdir = tmp_path / "agent"
    workdir.mkdir(mode=0o755)
    container = docker_cleanup.run(
        agent_image,
        environment={
            "JENKINS_URL": "http://127.0.0.1:8080/",
            "JENKINS_AGENT_NAME": "agent-1",
            "JENKINS_SECRET": "not-a-real-secret",
        },
        volumes={
            str(workdir): {"bind": "/home/jenkins/agent", "mode": "rw"},
            "/var/run/docker.sock": {"bind": "/var/run/docker.sock", "mode": "rw"},
        },
    )
    started = wait_for_file(workdir / "standin-agent.started", container)
    assert "agent agent-1 would connect to http://127.0.0.1:8080/ as uid 1000" in started
    sock_gid = Path("/var/run/docker.sock").stat().st_gid
    assert str(sock_gid) in started.split("groups", 1)[1].split()
    assert workdir.stat().st_uid == 1000
    container.stop(timeout=10)
    container.reload()
    assert container.attrs["State"]["ExitCode"] == 143
