"""Waiting on containers started by the images tests."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any


def wait_for_file(path: Path, container: Any, timeout: float = 30.0) -> str:
    """Wait until ``path`` (on the host, inside a bind mount) exists and is non-empty."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.is_file() and path.stat().st_size > 0:
            return path.read_text()
        container.reload()
        if container.status == "exited":
            raise AssertionError(f"container exited early: {logs(container)}")
        time.sleep(0.1)
    raise AssertionError(f"{path} not written within {timeout}s: {logs(container)}")


def wait_exit(container: Any, timeout: float = 60.0) -> int:
    result = container.wait(timeout=timeout)
    return int(result["StatusCode"])


def logs(container: Any) -> str:
    return str(container.logs(stdout=True, stderr=True).decode(errors="replace"))
