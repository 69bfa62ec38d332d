"""Docker socket access for the jenkins user, whatever group owns the mounted socket.

The socket's gid is chosen per test through a forwarding proxy (tests/dockerlib/sockproxy.py):
a new unix socket, chgrp'ed to the wanted gid and mode 0660, bind-mounted into the container
as /var/run/docker.sock, relaying bytes to the real engine. No ``--group-add`` anywhere.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.dockerlib.fixtures import DockerCleanup
from tests.images.helpers import logs, wait_exit

pytestmark = pytest.mark.docker

SCRIPT = """
set -e
echo "ids $(id -u) $(id -G)"
echo "server $(docker version --format '{{.Server.Version}}')"
printf 'FROM %s\\nRUN echo built\\n' "$BASE" | docker build -q --network host -t "$TAG" - >/dev/null
echo "built $TAG"
getent group "$GID"
"""


def run_docker_as_jenkins(
    cleanup: DockerCleanup, image: str, sock: Path, base: str, gid: int, tmp_path: Path
) -> tuple[int, str, str]:
    tag = cleanup.name("jgtest-sockbuild")
    cleanup.images.append(tag)
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    container = cleanup.run(
        image,
        command=["bash", "-c", SCRIPT],
        environment={"BASE": base, "TAG": tag, "GID": str(gid)},
        volumes={
            str(sock): {"bind": "/var/run/docker.sock", "mode": "rw"},
            str(home): {"bind": "/var/jenkins_home", "mode": "rw"},
        },
    )
    return wait_exit(container, 120), logs(container), tag


@pytest.mark.parametrize(
    ("gid", "group"),
    [(4242, "docker-host"), (0, "root"), (100, "users")],
    ids=["new-gid-4242", "gid-0", "existing-group-users"],
)
def test_jenkins_user_uses_the_socket_and_builds(
    docker_cleanup: DockerCleanup,
    controller_image: str,
    debian_base_image: str,
    socket_with_gid: Callable[[int], Path],
    tmp_path: Path,
    gid: int,
    group: str,
) -> None:
    sock = socket_with_gid(gid)
    code, out, tag = run_docker_as_jenkins(
        docker_cleanup, controller_image, sock, debian_base_image, gid, tmp_path
    )
    assert code == 0, out
    ids = next(line for line in out.splitlines() if line.startswith("ids ")).split()
    assert ids[1] == "1000" and str(gid) in ids[2:], out
    server = docker_cleanup.client.version()["Version"]
    assert f"server {server}" in out
    assert f"built {tag}" in out
    assert docker_cleanup.client.images.get(tag) is not None
    assert f"{group}:x:{gid}:" in out and "jenkins" in out.splitlines()[-1], out


def test_without_the_fixup_the_jenkins_user_is_refused(
    docker_cleanup: DockerCleanup,
    controller_image: str,
    debian_base_image: str,
    socket_with_gid: Callable[[int], Path],
    tmp_path: Path,
) -> None:
    """Control: started directly as uid 1000 (no root fix-up), the same socket is refused."""
    sock = socket_with_gid(4242)
    home = tmp_path / "home"
    home.mkdir()
    os.chown(home, 1000, 1000)
    tag = docker_cleanup.name("jgtest-sockbuild")
    docker_cleanup.images.append(tag)
    container = docker_cleanup.run(
        controller_image,
        command=["bash", "-c", SCRIPT],
        user="1000:1000",
        environment={"BASE": debian_base_image, "TAG": tag, "GID": "4242"},
        volumes={
            str(sock): {"bind": "/var/run/docker.sock", "mode": "rw"},
            str(home): {"bind": "/var/jenkins_home", "mode": "rw"},
        },
    )
    assert wait_exit(container, 60) != 0
    assert "permission denied" in logs(container).lower()


def test_a_socket_without_group_write_is_reported(
    docker_cleanup: DockerCleanup,
    controller_image: str,
    socket_with_gid: Callable[[int], Path],
    tmp_path: Path,
) -> None:
    sock = socket_with_gid(4242)
    sock.chmod(0o600)
    home = tmp_path / "home"
    home.mkdir()
    container = docker_cleanup.run(
        controller_image,
        command=["true"],
        volumes={
            str(sock): {"bind": "/var/run/docker.sock", "mode": "rw"},
            str(home): {"bind": "/var/jenkins_home", "mode": "rw"},
        },
    )
    assert wait_exit(container, 60) == 0
    assert (
        "jenkinsgen-entrypoint: warning: /var/run/docker.sock (mode 600) is not group-writable"
        in logs(container)
    )
