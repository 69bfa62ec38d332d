"""scripts/ci-services.sh starts a Docker engine and is idempotent.

Run beside the engine the suite already uses: the script's socket, state directory and log are
pointed at a temp directory, so a second dockerd starts there and is stopped afterwards.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.dockerlib.fixtures import DockerCleanup
from tests.images.helpers import logs, wait_exit

pytestmark = [pytest.mark.docker, pytest.mark.slow]

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "ci-services.sh"


@pytest.fixture
def sandbox() -> Iterator[tuple[Path, dict[str, str]]]:
    if os.geteuid() != 0 or shutil.which("dockerd") is None:
        pytest.skip("needs root and dockerd")
    state = Path(tempfile.mkdtemp(prefix="jgdockerd-", dir="/var/tmp"))
    env = {
        **os.environ,
        "JENKINSGEN_DOCKERD_SOCK": str(state / "docker.sock"),
        "JENKINSGEN_DOCKERD_STATE": str(state),
        "JENKINSGEN_DOCKERD_LOG": str(state / "dockerd.log"),
    }
    try:
        yield state, env
    finally:
        pidfile = state / "jenkinsgen-dockerd.pid"
        if pidfile.exists():
            pid = int(pidfile.read_text())
            try:
                os.kill(pid, signal.SIGTERM)
                deadline = time.monotonic() + 20
                while time.monotonic() < deadline:
                    os.kill(pid, 0)
                    time.sleep(0.2)
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        subprocess.run(
            f"grep -o ' {state}[^ ]*' /proc/mounts | sort -r | xargs -r -n1 umount -l",
            shell=True,
            check=False,
        )
        shutil.rmtree(state, ignore_errors=True)


def test_starts_dockerd_once_and_then_leaves_it_alone(
    sandbox: tuple[Path, dict[str, str]],
) -> None:
    state, env = sandbox
    first = subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True, text=True)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "starting dockerd (storage driver overlay2)" in first.stdout
    assert f"answers on {state / 'docker.sock'}" in first.stdout
    version = subprocess.run(
        ["docker", "-H", f"unix://{state / 'docker.sock'}", "info", "--format", "{{.Driver}}"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert version.stdout.strip() in ("overlay2", "vfs")
    pid = (state / "jenkinsgen-dockerd.pid").read_text()
    second = subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True, text=True)
    assert second.returncode == 0
    assert "already answers" in second.stdout
    assert (state / "jenkinsgen-dockerd.pid").read_text() == pid


FRESH = """
set -u
bash /s/ci-services.sh; echo "first rc=$?"
bash /s/ci-services.sh; echo "second rc=$?"
dpkg-query -W -f='${Package} ${Status}\\n' $PACKAGES
for p in /proc/[0-9]*; do tr '\\0' ' ' <"$p/cmdline"; echo; done | grep '^dockerd ' || true
"""


def test_fresh_machine_gets_packages_and_a_running_engine(
    docker_cleanup: DockerCleanup, debian_base_image: str
) -> None:
    """A bare Debian (the debootstrap base: no packages, no dockerd, not even pgrep) as CI's
    fresh machine: the script installs every package and starts dockerd, then leaves it be."""
    packages = next(
        line.split("(", 1)[1].rstrip(")").split()
        for line in SCRIPT.read_text().splitlines()
        if line.startswith("PACKAGES=(")
    )
    container = docker_cleanup.run(
        debian_base_image,
        command=["bash", "-c", FRESH],
        environment={"PACKAGES": " ".join(packages)},
        volumes={str(SCRIPT.parent): {"bind": "/s", "mode": "ro"}},
    )
    assert wait_exit(container, 600) == 0, logs(container)
    out = logs(container)
    assert "first rc=0" in out and "second rc=0" in out, out
    assert f"installing {' '.join(packages)}" in out
    assert "answers on /var/run/docker.sock" in out and "already answers" in out, out
    assert "command not found" not in out, out
    for package in packages:
        assert f"{package} install ok installed" in out, out
    dockerd = next(line for line in out.splitlines() if line.startswith("dockerd "))
    assert "--iptables=false" in dockerd and "--bridge=none" in dockerd
