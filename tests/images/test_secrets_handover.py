"""The shared entrypoint hands mounted secrets to the unprivileged user (real containers).

docker compose (v1, and v2 without swarm) mounts a file secret with the host file's owner and
mode: a 0600 file of root, or of any uid but 1000, is unreadable once the entrypoint drops to
jenkins. With ``JENKINSGEN_SECRETS_FROM`` the entrypoint, still root, copies each file into
``$SECRETS`` (mode 0400, owned by the user, in a 0700 directory), and only ever onto a tmpfs.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.dockerlib.fixtures import DockerCleanup
from tests.images.helpers import logs, wait_exit

pytestmark = pytest.mark.docker
HANDOVER = {"JENKINSGEN_SECRETS_FROM": "/run/secrets", "SECRETS": "/run/jenkinsgen/secrets"}
SHOW = (
    "id -un; stat -c '%a %U' /run/jenkinsgen/secrets; "
    'for f in /run/jenkinsgen/secrets/*; do stat -c \'%n %a %U\' "$f"; cat "$f"; done; '
    "stat -f -c %T /run/jenkinsgen/secrets; cat /run/secrets/TOKEN 2>&1 || echo unreadable"
)


def secrets_dir(tmp_path: Path, owner: int) -> Path:
    where = tmp_path / "secrets"
    where.mkdir()
    for name, value in (("TOKEN", "t0k3n\n"), ("PASSWORD", "pa55\n")):
        (where / name).write_text(value)
        (where / name).chmod(0o600)
        os.chown(where / name, owner, owner)
    return where


@pytest.mark.parametrize("owner", [0, 4321])
def test_root_only_secrets_reach_the_user_on_a_tmpfs(
    docker_cleanup: DockerCleanup, agent_image: str, tmp_path: Path, owner: int
) -> None:
    if os.geteuid() != 0:
        pytest.skip("making files of another owner needs root")
    container = docker_cleanup.run(
        agent_image,
        command=["sh", "-c", SHOW],
        environment=HANDOVER,
        volumes={str(secrets_dir(tmp_path, owner)): {"bind": "/run/secrets", "mode": "ro"}},
        tmpfs={"/run/jenkinsgen": ""},
    )
    assert wait_exit(container) == 0, logs(container)
    out = logs(container).splitlines()
    assert out[0] == (
        "jenkinsgen-entrypoint: handed 2 secret file(s) of /run/secrets to jenkins in "
        "/run/jenkinsgen/secrets (tmpfs)"
    )
    assert out[1:] == [
        "jenkins",
        "700 jenkins",
        "/run/jenkinsgen/secrets/PASSWORD 400 jenkins",
        "pa55",
        "/run/jenkinsgen/secrets/TOKEN 400 jenkins",
        "t0k3n",
        "tmpfs",
        "cat: /run/secrets/TOKEN: Permission denied",
        "unreadable",
    ]


def test_secrets_are_never_copied_off_a_tmpfs_nor_without_a_target(
    docker_cleanup: DockerCleanup, agent_image: str, tmp_path: Path
) -> None:
    volumes: dict[str, Any] = {
        str(secrets_dir(tmp_path, 0)): {"bind": "/run/secrets", "mode": "ro"}
    }
    container = docker_cleanup.run(
        agent_image, command=["true"], environment=HANDOVER, volumes=volumes
    )  # no tmpfs on /run/jenkinsgen: the copy would land in the container's layer
    assert wait_exit(container) == 1
    [line] = logs(container).strip().splitlines()  # the file system's name: overlay2, vfs...
    assert line.startswith(
        "jenkinsgen-entrypoint: refusing to copy secrets to /run/jenkinsgen/secrets: it is on "
    ) and line.endswith(", not a tmpfs (mount one on /run/jenkinsgen)")
    container = docker_cleanup.run(
        agent_image,
        command=["true"],
        environment={"JENKINSGEN_SECRETS_FROM": "/run/secrets"},
        volumes=volumes,
    )
    assert wait_exit(container) == 1
    assert logs(container).strip() == (
        "jenkinsgen-entrypoint: JENKINSGEN_SECRETS_FROM is set but SECRETS, where to hand the "
        "secrets to jenkins, is not"
    )
