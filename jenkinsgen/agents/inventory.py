"""What exists now: our nodes in Jenkins and our containers on every engine, joined by name.

A node is ours when its description carries the marker line (``managed-by:
jenkinsgen-agents pool=POOL``); a container is ours when it has our labels for this
controller.  Everything else is listed only as a name that must not be reused.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from jenkinsgen.agents.containers import AgentContainer, list_agents
from jenkinsgen.agents.hosts import DockerHost
from jenkinsgen.jenkins.client import JenkinsClient
from jenkinsgen.jenkins.nodes import NodeInfo, list_nodes

__all__ = ["MARKER", "Agent", "Engine", "Inventory", "node_description", "node_pool", "take"]

MARKER = "managed-by: jenkinsgen-agents"
_MARKER_RE = re.compile(rf"^{re.escape(MARKER)} pool=(\S+)(?: host=(\S+))?\s*$", re.MULTILINE)


def node_description(pool: str, host: str | None = None) -> str:
    """The description of a node we create: a sentence for people and the marker line,
    which names the pool and the Docker host the agent's container was started on."""
    where = f" host={host}" if host else ""
    return (
        "Docker-socket agent provisioned by `jenkinsgen agents up`; "
        "`jenkinsgen agents down` removes it.\n"
        f"{MARKER} pool={pool}{where}"
    )


def node_pool(description: str) -> str | None:
    """The pool named by a description's marker line, or None for a node that is not ours."""
    m = _MARKER_RE.search(description or "")
    return m.group(1) if m else None


def node_host(description: str) -> str | None:
    """The Docker host recorded in the marker line, if any."""
    m = _MARKER_RE.search(description or "")
    return m.group(2) if m else None


@dataclass(frozen=True)
class Engine:
    """A Docker host and a connected client for it."""

    host: DockerHost
    client: Any


@dataclass
class Agent:
    """One agent name: its node (if Jenkins has it) and our containers for it."""

    name: str
    pool: str
    node: NodeInfo | None = None
    containers: list[AgentContainer] = field(default_factory=list)

    @property
    def container(self) -> AgentContainer | None:
        """The container that counts: a running one first, else the newest."""
        if not self.containers:
            return None
        return sorted(self.containers, key=lambda c: (c.running, c.created))[-1]


@dataclass
class Inventory:
    agents: dict[str, Agent]
    foreign_nodes: set[str]  # nodes that are not ours (or another pool's): names to avoid


def take(
    jenkins: JenkinsClient, engines: Sequence[Engine], controller: str, pool: str | None = None
) -> Inventory:
    """Our agents for ``controller`` (one ``pool`` or all of them), from Jenkins and Docker."""
    agents: dict[str, Agent] = {}
    foreign: set[str] = set()
    for node in list_nodes(jenkins):
        owner = node_pool(node.description)
        if owner is None or (pool is not None and owner != pool):
            foreign.add(node.name)
            continue
        agents[node.name] = Agent(node.name, owner, node=node)
    for engine in engines:
        for c in list_agents(engine.client, engine.host, controller, pool):
            if not c.name:
                continue
            agent = agents.setdefault(c.name, Agent(c.name, c.pool))
            agent.containers.append(c)
    return Inventory(agents, foreign)
