"""The convergence plan on hand-made inventories (no Docker, no Jenkins), and the public API."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

import jenkinsgen.agents
from jenkinsgen.agents.containers import AgentContainer, AgentSettings
from jenkinsgen.agents.hosts import parse_host
from jenkinsgen.agents.inventory import Agent, Engine, Inventory, node_description
from jenkinsgen.agents.provision import UpOptions, plan
from jenkinsgen.errors import AgentError
from jenkinsgen.jenkins.nodes import NodeInfo

A, B = parse_host("unix:///a.sock"), parse_host("unix:///b.sock")
ENGINES = [Engine(A, None), Engine(B, None)]
SETTINGS = AgentSettings(image="img:1", jenkins_url="http://j", controller="c", pool="p")
OPTIONS = UpOptions(count=3, labels="docker", pool="p", settings=SETTINGS)


def _node(name: str, host: str | None = None) -> NodeInfo:
    return NodeInfo(name, node_description("p", host), offline=True, idle=True)


def _container(
    name: str, host: object, second: int, state: str = "running", image: str = "img:1"
) -> AgentContainer:
    created = datetime(2026, 1, 1, 0, 0, second, tzinfo=UTC)
    return AgentContainer(host, f"id-{name}-{second}", name, "p", state, created, image, None)  # type: ignore[arg-type]


def _kinds(actions: list) -> list[tuple[str, str, str | None]]:  # type: ignore[type-arg]
    return sorted((a.kind, a.agent, a.host.host.url if a.host else None) for a in actions)


def test_every_rule_in_one_plan() -> None:
    agents = {
        "p-1": Agent("p-1", "p", _node("p-1"), [_container("p-1", A, 1)]),
        "p-2": Agent("p-2", "p", _node("p-2"), [_container("p-2", B, 2, "exited")]),
        "p-3": Agent("p-3", "p", None, [_container("p-3", A, 3)]),
        "p-4": Agent("p-4", "p", _node("p-4", B.url), []),
        "p-5": Agent("p-5", "p", _node("p-5"), [_container("p-5", B, 5, image="img:0")]),
    }
    actions = plan(
        Inventory(agents, {"p-6"}),
        ENGINES,
        UpOptions(count=4, labels="docker", pool="p", settings=SETTINGS),
    )
    # 5 agents, 4 wanted: the newest goes first, and an agent without a container is newest
    assert _kinds(actions) == [
        ("ok", "p-1", A.url),
        ("recreate", "p-5", B.url),
        ("remove", "p-4", None),
        ("repair", "p-3", A.url),
        ("restart", "p-2", B.url),
    ]


def test_new_agents_skip_foreign_names_and_balance_hosts() -> None:
    agents = {"p-1": Agent("p-1", "p", _node("p-1"), [_container("p-1", A, 1)])}
    actions = plan(Inventory(agents, {"p-2"}), ENGINES, OPTIONS)
    assert _kinds(actions) == [
        ("create", "p-3", B.url),
        ("create", "p-4", A.url),
        ("ok", "p-1", A.url),
    ]


def test_duplicate_containers_keep_the_running_one() -> None:
    agents = {
        "p-1": Agent(
            "p-1", "p", _node("p-1"), [_container("p-1", A, 1), _container("p-1", B, 2, "exited")]
        )
    }
    assert agents["p-1"].container is not None and agents["p-1"].container.running
    actions = plan(
        Inventory(agents, set()),
        ENGINES,
        UpOptions(count=1, labels="docker", pool="p", settings=SETTINGS),
    )
    assert _kinds(actions) == [("dedupe", "p-1", A.url), ("ok", "p-1", A.url)]


def test_a_vanished_container_whose_host_is_not_given_stops_the_plan() -> None:
    agents = {"p-1": Agent("p-1", "p", _node("p-1", "tcp://elsewhere:2376"), [])}
    with pytest.raises(AgentError, match="p-1: its container was started on tcp://elsewhere"):
        plan(Inventory(agents, set()), ENGINES, OPTIONS)


def test_public_api_is_small_and_deliberate() -> None:
    assert set(jenkinsgen.agents.__all__) == {
        "STRATEGIES",
        "AgentSettings",
        "DockerHost",
        "Engine",
        "StatusRow",
        "Strategy",
        "UpOptions",
        "UpReport",
        "connect",
        "controller_id",
        "down",
        "format_table",
        "parse_host",
        "status",
        "up",
        "wait_online",
    }
