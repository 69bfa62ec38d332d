"""Waiting until each part of a started stack answers, and saying which one does not.

A part is ready when its container runs and it answers as it should:

* controller: ``GET /login`` answers 200 (Jenkins answers 503 while it starts);
* registry: ``GET /v2/`` answers 401 (it runs and demands the credentials);
* receiver: ``GET /healthz`` answers 200;
* ``proxy-<env>``: HAProxy's admin socket answers the receiver (``jenkinsgen release status
  --env ENV`` run in the receiver's container reports no problem of the environment itself).

A container that exited, or keeps restarting, fails the wait at once with its last log lines.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from jenkinsgen.errors import StackError

__all__ = ["Part", "container_of", "http_probe", "proxy_probe", "wait_ready"]

Progress = Callable[[str], None]
#: A probe returns None when the part is ready, else what it saw.
Probe = Callable[[], str | None]
#: Restarts after which a container that keeps failing is reported instead of waited for.
MAX_RESTARTS = 3


@dataclass(frozen=True)
class Part:
    """One part of the stack: its compose service, where it answers, how it is probed."""

    service: str
    where: str
    probe: Probe


def http_probe(url: str, expect: int) -> Probe:
    """Ready when ``GET url`` answers ``expect``."""

    def probe() -> str | None:
        try:
            with urllib.request.urlopen(url, timeout=3) as answer:
                status = int(answer.status)
        except urllib.error.HTTPError as exc:
            status = exc.code
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            return f"GET {url}: {reason}"
        return None if status == expect else f"GET {url} answered {status}, not {expect}"

    return probe


def container_of(client: Any, project: str, service: str) -> Any | None:
    """The compose container of ``service`` in ``project`` (None when there is none)."""
    found = client.containers.list(
        all=True,
        filters={
            "label": [
                f"com.docker.compose.project={project}",
                f"com.docker.compose.service={service}",
            ]
        },
    )
    return found[0] if found else None


def proxy_probe(client: Any, project: str, receiver: str, spec: str, environment: str) -> Probe:
    """Ready when the receiver reaches the environment's HAProxy through its admin socket."""
    command = ["jenkinsgen", "release", "status", spec, "--env", environment, "--output", "json"]

    def probe() -> str | None:
        container = container_of(client, project, receiver)
        if container is None or container.status != "running":
            return "the receiver is not running"
        result = container.exec_run(command, user="nobody", demux=True)
        stdout = (result.output[0] or b"").decode(errors="replace")
        try:
            report = json.loads(stdout)["environments"][environment]
        except (ValueError, KeyError, TypeError):
            stderr = (result.output[1] or b"").decode(errors="replace").strip()
            return stderr.splitlines()[-1] if stderr else "no answer from release status"
        problems = report.get("problems") or []
        return str(problems[0]) if problems else None

    return probe


def _failed(container: Any) -> str | None:
    """Why a container will not get ready on its own (None while it may)."""
    container.reload()
    state = container.attrs.get("State", {})
    restarts = int(container.attrs.get("RestartCount", 0))
    if (container.status == "exited" and state.get("ExitCode", 0) != 0) or restarts > MAX_RESTARTS:
        logs = container.logs(tail=5).decode(errors="replace").strip().splitlines()
        last = " | ".join(line.strip() for line in logs[-3:]) or "no output"
        return f"exited with status {state.get('ExitCode')} ({restarts} restarts): {last}"
    return None


def wait_ready(
    client: Any,
    project: str,
    parts: list[Part],
    timeout: float,
    progress: Progress,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, float]:
    """Wait until every part is ready; returns the seconds each took. StackError names the
    part that failed or was not ready in time, with what its probe last saw."""
    start = clock()
    waiting = {part.service: part for part in parts}
    seen: dict[str, str] = {}
    took: dict[str, float] = {}
    progress(f"waiting for {', '.join(waiting)} (at most {timeout:.0f} s)")
    while waiting:
        for name, part in list(waiting.items()):
            container = container_of(client, project, name)
            if container is None:
                seen[name] = "no container"
                continue
            failure = _failed(container)
            if failure is not None:
                raise StackError(f"{name} failed: {failure}")
            why = part.probe() if container.status == "running" else container.status
            if why is None:
                took[name] = clock() - start
                progress(f"{name} ready after {took[name]:.1f} s: {part.where}")
                del waiting[name]
            else:
                seen[name] = why
        if not waiting:
            break
        if clock() - start > timeout:
            name = next(iter(waiting))
            raise StackError(
                f"{name} not ready after {timeout:.0f} s: {seen.get(name, 'no answer')} "
                f"(still waiting for {', '.join(waiting)})"
            )
        sleep(1.0)
    return took
