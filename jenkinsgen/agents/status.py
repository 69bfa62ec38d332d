"""``agents status``: one row per agent of ours — node, host, container, Jenkins state."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

from jenkinsgen.agents.inventory import Engine, node_host, take
from jenkinsgen.jenkins.client import JenkinsClient
from jenkinsgen.jenkins.nodes import NodeInfo

__all__ = ["StatusRow", "format_table", "status"]

COLUMNS = ("node", "pool", "host", "container", "jenkins", "activity")


@dataclass(frozen=True)
class StatusRow:
    """What one agent looks like now; ``missing`` where a side does not exist."""

    node: str
    pool: str
    host: str
    container: str  # running, exited, ..., or missing
    jenkins: str  # online, offline, or missing (no node)
    activity: str  # idle, busy, or - when not online

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def status(
    jenkins: JenkinsClient, engines: Sequence[Engine], controller: str, pool: str | None = None
) -> list[StatusRow]:
    """Rows for every agent of ours (one pool or all), sorted by pool and name."""
    inventory = take(jenkins, engines, controller, pool)
    rows = []
    for agent in inventory.agents.values():
        c = agent.container
        node = agent.node
        if node is None:
            state, activity = "missing", "-"
        else:
            state = "online" if node.online else "offline"
            activity = ("idle" if node.idle else "busy") if node.online else "-"
        rows.append(
            StatusRow(
                node=agent.name,
                pool=agent.pool,
                host=str(c.host) if c is not None else _recorded_host(agent.node),
                container=c.state if c is not None else "missing",
                jenkins=state,
                activity=activity,
            )
        )
    return sorted(rows, key=lambda r: (r.pool, _natural(r.node)))


def _recorded_host(node: NodeInfo | None) -> str:
    host = node_host(node.description) if node is not None else None
    return host or "-"


def _natural(name: str) -> tuple[str, int]:
    head, _, tail = name.rpartition("-")
    return (head, int(tail)) if tail.isdigit() else (name, -1)


def format_table(rows: Sequence[StatusRow]) -> str:
    """A plain aligned table (no colour), header first."""
    table = [COLUMNS, *[tuple(r.as_dict()[c] for c in COLUMNS) for r in rows]]
    widths = [max(len(row[i]) for row in table) for i in range(len(COLUMNS))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in table
    ]
    return "\n".join(lines)
