"""``agents up``: converge a pool to exactly N agents (node in Jenkins + container on a host).

Rules, applied to our own nodes and containers only:

* an agent whose node and running container exist is left alone (``ok``);
* a stopped container is started again (``restart``); one started from another image than
  asked is replaced, keeping its node (``recreate``);
* a node whose container vanished gets a new container (``start``) on the host recorded in
  its description; when that host is not among the given ones, nothing is changed;
* a container whose node was deleted gets its node back and, as the node's secret is new,
  a new container on the same host (``repair``);
* missing agents are created with the lowest free ``<pool>-<n>`` names (``create``);
* extra agents are removed newest first (``remove``), by container creation time; an agent
  without a container counts as newest.

Everything is checked before anything changes (engines reachable, the image present on
every host); each agent's actions then run in parallel.  A new agent whose container cannot
start has its node deleted again, so Jenkins is never left with a node nobody will connect.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

import docker.errors

from jenkinsgen.agents.containers import (
    DOCKER_ERRORS,
    AgentContainer,
    AgentSettings,
    redact,
    remove,
    run_agent,
    start,
)
from jenkinsgen.agents.inventory import (
    Agent,
    Engine,
    Inventory,
    node_description,
    node_host,
    take,
)
from jenkinsgen.agents.placement import Capacity, Strategy, place
from jenkinsgen.errors import AgentError, JenkinsgenError
from jenkinsgen.jenkins.client import JenkinsClient
from jenkinsgen.jenkins.nodes import create_inbound_node, delete_node, node_secret

__all__ = ["Action", "UpOptions", "UpReport", "check_images", "plan", "up"]

log = logging.getLogger("jenkinsgen.agents")

Kind = Literal["ok", "create", "start", "restart", "recreate", "repair", "remove", "dedupe"]


@dataclass(frozen=True)
class UpOptions:
    """What ``agents up`` was asked for."""

    count: int
    labels: str
    pool: str
    settings: AgentSettings
    executors: int = 1
    strategy: Strategy = "round-robin"
    parallel: int = 4


@dataclass
class Action:
    """One agent's step; ``host`` is where its container is (or goes)."""

    kind: Kind
    agent: str
    host: Engine | None = None
    existing: Agent | None = None
    error: str | None = None

    def describe(self) -> str:
        where = f" on {self.host.host}" if self.host is not None else ""
        return f"{self.kind:8} {self.agent}{where}"


@dataclass
class UpReport:
    actions: list[Action] = field(default_factory=list)

    @property
    def failed(self) -> list[Action]:
        return [a for a in self.actions if a.error is not None]

    @property
    def changed(self) -> list[Action]:
        return [a for a in self.actions if a.kind != "ok" and a.error is None]


def _engine_of(engines: Sequence[Engine], container: AgentContainer) -> Engine:
    for e in engines:
        if e.host == container.host:
            return e
    raise AgentError(f"{container.name}: its host {container.host} is not among --docker-host")


def _capacity(engines: Sequence[Engine]) -> dict[str, Capacity]:
    out: dict[str, Capacity] = {}
    for e in engines:
        try:
            info = e.client.info()
        except DOCKER_ERRORS as exc:
            raise AgentError(f"docker host {e.host}: cannot read its info: {exc}") from None
        out[e.host.url] = Capacity(
            cpus=int(info.get("NCPU") or 1),
            memory=int(info.get("MemTotal") or 0),
            running=int(info.get("ContainersRunning") or 0),
        )
    return out


def _newest_first(agent: Agent) -> tuple[datetime, str]:
    c = agent.container
    return (c.created if c is not None else datetime.max.replace(tzinfo=UTC), agent.name)


def plan(
    inventory: Inventory,
    engines: Sequence[Engine],
    options: UpOptions,
    capacity: dict[str, Capacity] | None = None,
) -> list[Action]:
    """The actions that bring the pool to ``options.count`` agents (no I/O)."""
    actions: list[Action] = []
    agents = [a for a in inventory.agents.values() if a.pool == options.pool]
    # Our containers whose name now belongs to someone else's node: ours to remove.
    keep: list[Agent] = []
    for a in agents:
        if a.node is None and a.name in inventory.foreign_nodes:
            actions.append(Action("remove", a.name, existing=a))
        else:
            keep.append(a)
    keep.sort(key=_newest_first, reverse=True)
    extra = max(0, len(keep) - options.count)
    for a in keep[:extra]:
        actions.append(Action("remove", a.name, existing=a))
    survivors = keep[extra:]
    on_host: dict[str, int] = {e.host.url: 0 for e in engines}
    by_url = {e.host.url: e for e in engines}
    need_host: list[Action] = []
    elsewhere: list[str] = []
    for a in sorted(survivors, key=lambda a: a.name):
        best = a.container
        if best is None:
            recorded = node_host(a.node.description) if a.node is not None else None
            if recorded is not None and recorded not in by_url:
                elsewhere.append(
                    f"{a.name}: its container was started on {recorded}, which is "
                    f"not among --docker-host; give that host too, or "
                    f"`jenkinsgen agents down {a.name}`"
                )
            elif recorded is not None:
                on_host[recorded] = on_host.get(recorded, 0) + 1
                actions.append(Action("start", a.name, by_url[recorded], a))
            else:
                need_host.append(Action("start", a.name, existing=a))
            continue
        engine = _engine_of(engines, best)
        on_host[engine.host.url] = on_host.get(engine.host.url, 0) + 1
        kind: Kind = "ok"
        if a.node is None:
            kind = "repair"
        elif best.image != options.settings.image:
            kind = "recreate"
        elif not best.running:
            kind = "restart"
        actions.append(Action(kind, a.name, engine, a))
        if len(a.containers) > 1 and kind in ("ok", "restart"):
            actions.append(Action("dedupe", a.name, engine, a))
    if elsewhere:
        raise AgentError("\n".join(elsewhere))
    used = set(inventory.agents) | inventory.foreign_nodes
    index = 0
    for _ in range(options.count - len(survivors)):
        index += 1
        while f"{options.pool}-{index}" in used:
            index += 1
        need_host.append(Action("create", f"{options.pool}-{index}"))
    hosts = place(
        [e.host.url for e in engines],
        len(need_host),
        current=on_host,
        strategy=options.strategy,
        capacity=capacity,
    )
    for action, url in zip(need_host, hosts, strict=True):
        action.host = by_url[url]
        actions.append(action)
    return actions


def check_images(engines: Sequence[Engine], image: str) -> None:
    """Make sure every engine has ``image`` (pulling it if it can), before any change."""
    for e in engines:
        try:
            e.client.images.get(image)
            continue
        except docker.errors.ImageNotFound:
            pass
        except DOCKER_ERRORS as exc:
            raise AgentError(f"docker host {e.host}: cannot inspect image {image}: {exc}") from None
        log.info("pulling %s on %s", image, e.host)
        try:
            e.client.images.pull(image)
        except DOCKER_ERRORS as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            raise AgentError(
                f"docker host {e.host}: image {image} is not there and cannot be pulled "
                f"({first}); build it there or load it with docker save | docker load"
            ) from None


def _execute(action: Action, jenkins: JenkinsClient, options: UpOptions) -> None:
    name, a, settings = action.agent, action.existing, options.settings

    def new_node() -> None:
        create_inbound_node(
            jenkins,
            name,
            description=node_description(
                options.pool, action.host.host.url if action.host is not None else None
            ),
            executors=options.executors,
            remote_fs=settings.remote_fs,
            labels=options.labels,
            websocket=settings.websocket,
        )

    if action.kind == "ok":
        return
    if action.kind == "remove":
        assert a is not None
        for c in a.containers:
            remove(c)
        if a.node is not None:
            delete_node(jenkins, name)
        return
    if action.kind == "dedupe":
        assert a is not None and a.container is not None
        for c in a.containers:
            if c is not a.container:
                remove(c)
        return
    if action.kind == "restart":
        assert a is not None and a.container is not None
        start(a.container)
        return
    assert action.host is not None
    engine = action.host
    if action.kind == "create":
        new_node()
        try:
            secret = node_secret(jenkins, name)
            run_agent(engine.client, engine.host, name, secret, settings)
        except JenkinsgenError:
            delete_node(jenkins, name)  # roll back: no node without an agent for it
            raise
        return
    if action.kind == "repair":
        new_node()
    secret = node_secret(jenkins, name)
    if a is not None:
        for c in a.containers:
            remove(c)
    run_agent(engine.client, engine.host, name, secret, settings)


def up(
    jenkins: JenkinsClient,
    engines: Sequence[Engine],
    options: UpOptions,
    progress: Callable[[Action], None] | None = None,
) -> UpReport:
    """Converge the pool; every action's outcome is in the report (errors included)."""
    if not engines:
        raise AgentError("no Docker host given")
    if options.count < 0:
        raise AgentError(f"--count must be 0 or more, got {options.count}")
    inventory = take(jenkins, engines, options.settings.controller, options.pool)
    capacity = _capacity(engines) if options.strategy == "capacity" else None
    actions = plan(inventory, engines, options, capacity)
    targets = {
        x.host.host.url: x.host
        for x in actions
        if x.host is not None and x.kind in ("create", "start", "repair", "recreate")
    }
    check_images(list(targets.values()), options.settings.image)
    report = UpReport(actions)

    def run(action: Action) -> Action:
        try:
            _execute(action, jenkins, options)
        except JenkinsgenError as exc:
            action.error = redact(str(exc))
        if progress is not None:
            progress(action)
        return action

    with ThreadPoolExecutor(max_workers=max(1, options.parallel)) as pool:
        list(pool.map(run, actions))
    return report
