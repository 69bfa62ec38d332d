"""``agents down``: remove agents of ours — containers first, then nodes.

By name, every name is checked before anything is removed: a name that is not one of our
agents (a node someone else made, or nothing at all) is an error and nothing changes.  So is
an agent whose container was started on a Docker host that was not given: deleting its node
alone would leave that container retrying, forever, to connect as a node that is gone.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from jenkinsgen.agents.containers import redact, remove
from jenkinsgen.agents.inventory import Agent, Engine, node_host, take
from jenkinsgen.errors import AgentError, JenkinsgenError
from jenkinsgen.jenkins.client import JenkinsClient
from jenkinsgen.jenkins.nodes import delete_node

__all__ = ["down"]


def down(
    jenkins: JenkinsClient,
    engines: Sequence[Engine],
    controller: str,
    names: Sequence[str] = (),
    *,
    everything: bool = False,
    pool: str | None = None,
    parallel: int = 4,
) -> list[str]:
    """Remove the named agents (or all of ours with ``everything``); returns their names."""
    if bool(names) == everything:
        raise AgentError("give agent names or --all (not both)")
    inventory = take(jenkins, engines, controller, pool)
    if everything:
        chosen = list(inventory.agents.values())
    else:
        problems = []
        for name in names:
            if name in inventory.foreign_nodes:
                problems.append(f"{name}: not an agent jenkinsgen created; left alone")
            elif name not in inventory.agents:
                problems.append(f"{name}: no such agent")
        if problems:
            raise AgentError("\n".join(problems))
        chosen = [inventory.agents[n] for n in dict.fromkeys(names)]
    given = {e.host.url for e in engines}
    elsewhere = []
    for agent in sorted(chosen, key=lambda a: a.name):
        recorded = node_host(agent.node.description) if agent.node is not None else None
        if not agent.containers and recorded is not None and recorded not in given:
            elsewhere.append(
                f"{agent.name}: its container was started on {recorded}, which is not among "
                "--docker-host; give that host too"
            )
    if elsewhere:
        raise AgentError("\n".join(elsewhere))

    def one(agent: Agent) -> str | None:
        try:
            for c in agent.containers:
                remove(c)
            if agent.node is not None:
                delete_node(jenkins, agent.name)
        except JenkinsgenError as exc:
            return redact(str(exc))
        return None

    with ThreadPoolExecutor(max_workers=max(1, parallel)) as ex:
        errors = [e for e in ex.map(one, chosen) if e is not None]
    if errors:
        raise AgentError("\n".join(errors))
    return sorted(a.name for a in chosen)
