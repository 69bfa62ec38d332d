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
