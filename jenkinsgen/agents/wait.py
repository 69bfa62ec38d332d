"""``agents up --wait``: block until Jenkins reports the agents online, or fail clearly.

A failure names every agent that did not connect and shows the last lines of its container
log (secrets scrubbed), which is where a wrong URL, a refused secret or a crashed agent shows.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from jenkinsgen.agents.containers import logs_tail
from jenkinsgen.agents.inventory import Engine, take
from jenkinsgen.errors import AgentError
from jenkinsgen.jenkins.client import JenkinsClient
from jenkinsgen.jenkins.nodes import list_nodes

__all__ = ["wait_online"]


def wait_online(
    jenkins: JenkinsClient,
    engines: Sequence[Engine],
    controller: str,
    names: Sequence[str],
    *,
    timeout: float = 120.0,
    interval: float = 1.0,
    log_lines: int = 10,
    progress: Callable[[int, int], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Return when every agent in ``names`` is online; AgentError after ``timeout`` seconds."""
    wanted = set(names)
    deadline = clock() + timeout
    last = -1
    while True:
        online = {n.name for n in list_nodes(jenkins) if n.online} & wanted
        if len(online) != last and progress is not None:
            progress(len(online), len(wanted))
        last = len(online)
        if online == wanted:
            return
        if clock() >= deadline:
            break
        sleep(min(interval, max(0.0, deadline - clock())))
    missing = sorted(wanted - online)
    inventory = take(jenkins, engines, controller)
    lines = [
        f"{len(missing)} of {len(wanted)} agent(s) did not connect within {timeout:g}s: "
        + ", ".join(missing)
    ]
    for name in missing:
        agent = inventory.agents.get(name)
        container = agent.container if agent is not None else None
        if container is None:
            lines.append(f"{name}: no container")
            continue
        lines.append(f"{name}: container {container.state} on {container.host}; last log lines:")
        tail = logs_tail(container, log_lines) or ["(no output)"]
        lines.extend(f"  {name} | {line}" for line in tail)
    raise AgentError("\n".join(lines))
