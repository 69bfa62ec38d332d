"""Jenkins agents (nodes) over the REST API, on top of :class:`JenkinsClient`.

What ``jenkinsgen agents`` needs and nothing more: list every computer with its description
and state in one query, create an inbound (JNLP) agent, read its connection secret from the
JNLP file (needs the CONNECT permission), delete it.  Failures become
:class:`JenkinsRequestError` naming the node, through the client's retry and conversion.

The secret is wrapped in :class:`AgentSecret`, whose ``repr``/``str`` hide the value, so it
cannot reach a log line or an error message by accident; the JNLP body is never quoted in
an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from lxml import etree

from jenkinsgen.jenkins.client import JenkinsClient, JenkinsRequestError

__all__ = [
    "AgentSecret",
    "NodeInfo",
    "create_inbound_node",
    "delete_node",
    "get_node",
    "list_nodes",
    "node_secret",
]

_FIELDS = "displayName,description,offline,idle,temporarilyOffline,numExecutors"
BUILT_IN_NAMES = frozenset({"Built-In Node", "master", "(built-in)"})


class AgentSecret:
    """An agent's connection secret; only :meth:`reveal` gives the value."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "AgentSecret(****)"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AgentSecret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class NodeInfo:
    """A computer as ``computer/api/json`` shows it."""

    name: str
    description: str
    offline: bool
    idle: bool
    temporarily_offline: bool = False
    executors: int = 1

    @property
    def online(self) -> bool:
        return not self.offline


def _info(data: dict[str, Any]) -> NodeInfo:
    return NodeInfo(
        name=str(data.get("displayName", "")),
        description=str(data.get("description") or ""),
        offline=bool(data.get("offline", True)),
        idle=bool(data.get("idle", True)),
        temporarily_offline=bool(data.get("temporarilyOffline", False)),
        executors=int(data.get("numExecutors") or 0),
    )


def _computer(name: str) -> str:
    return f"computer/{quote(name, safe='')}/"


def list_nodes(client: JenkinsClient) -> list[NodeInfo]:
    """Every agent (the built-in node left out), in one request."""
    data = client.get_json(f"computer/api/json?tree=computer[{_FIELDS}]", "list agents", "computer")
    computers = data.get("computer") or []
    return [
        _info(c)
        for c in computers
        if c.get("displayName") not in BUILT_IN_NAMES
        and "MasterComputer" not in str(c.get("_class", ""))
    ]


def get_node(client: JenkinsClient, name: str) -> NodeInfo | None:
    """One agent, or None when Jenkins has no agent of that name."""
    try:
        return _info(
            client.get_json(f"{_computer(name)}api/json?tree={_FIELDS}", "read agent", name)
        )
    except JenkinsRequestError as exc:
        if exc.status == 404:
            return None
        raise


def create_inbound_node(
    client: JenkinsClient,
    name: str,
    *,
    description: str,
    executors: int,
    remote_fs: str,
    labels: str,
    websocket: bool = False,
) -> None:
    """Create an inbound (JNLP) agent; it stays offline until an agent process connects."""
    client.create_node(
        name,
        description=description,
        executors=executors,
        remote_fs=remote_fs,
        labels=labels,
        websocket=websocket,
    )


def node_secret(client: JenkinsClient, name: str) -> AgentSecret:
    """The agent's secret, the first ``<argument>`` of its JNLP file."""
    try:
        body = client.get_bytes(_computer(name) + "jenkins-agent.jnlp", "read agent secret", name)
    except JenkinsRequestError as exc:
        if exc.status != 404:
            raise
        body = client.get_bytes(_computer(name) + "slave-agent.jnlp", "read agent secret", name)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.fromstring(body, parser=parser)
    except etree.XMLSyntaxError:
        raise JenkinsRequestError("read agent secret", name, 200, "JNLP file is not XML") from None
    arguments = root.findall(".//application-desc/argument")
    secret = (arguments[0].text or "").strip() if arguments else ""
    if not secret or any(ch.isspace() for ch in secret):
        raise JenkinsRequestError("read agent secret", name, 200, "JNLP file holds no secret")
    return AgentSecret(secret)


def delete_node(client: JenkinsClient, name: str) -> bool:
    """Delete an agent; False when it was already gone."""
    try:
        client.post(_computer(name) + "doDelete", "delete agent", name)
    except JenkinsRequestError as exc:
        if exc.status == 404:
            return False
        raise
    return True
