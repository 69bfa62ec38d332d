"""Agent (node) endpoints of the Jenkins double, as Jenkins core answers them.

* ``POST computer/doCreateItem`` with form fields ``name``, ``type`` and ``json`` (what
  python-jenkins' ``create_node`` posts) → 302 to ``computer/``; a duplicate or a bad name is
  a ``Failure`` (400 + ``X-Error``).
* ``GET computer/api/json`` lists the computers (the built-in node first), ``GET
  computer/N/api/json`` describes one; ``description`` is the node description, ``offline``
  is true until an agent connects, ``idle`` false while a build runs.
* ``GET computer/N/jenkins-agent.jnlp`` (alias ``slave-agent.jnlp``) answers the JNLP file:
  ``<application-desc>`` arguments are the secret, the name, then ``-workDir``/``-url``
  options.  The secret is an HMAC of the name, as Jenkins' ``JnlpAgentReceiver.SLAVE_SECRET``.
* ``POST computer/N/doDelete`` deletes the agent (302 to ``computer/``).

Test controls (no HTTP): ``nodes_of(double)`` returns the :class:`Nodes` state with
``set_online``, ``set_busy``, ``remove`` (as a user deleting it in the UI), ``secret``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

from tests.jenkins_double.api import TreeSyntaxError, parse_tree
from tests.jenkins_double.routing import Failure, NotFound, Request, Response

if TYPE_CHECKING:
    from tests.jenkins_double.server import JenkinsDouble

NODE_TYPES = ("hudson.slaves.DumbSlave$DescriptorImpl", "hudson.slaves.DumbSlave")
JNLP_LAUNCHER = "hudson.slaves.JNLPLauncher"
BUILT_IN = "Built-In Node"
#: Jenkins.checkGoodName refuses these characters in a name.
_BAD_CHARS = set("?*/\\%!@#$^&|<>[]:;")


@dataclass
class Node:
    """One agent as Jenkins keeps it."""

    name: str
    description: str
    executors: int
    remote_fs: str
    labels: str
    launcher: dict[str, Any]
    online: bool = False
    busy: bool = False
    temporarily_offline: bool = False


@dataclass
class Nodes:
    """The double's agents; guard with ``lock``."""

    key: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    nodes: dict[str, Node] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)

    def secret(self, name: str) -> str:
        return hmac.new(self.key, name.encode(), hashlib.sha256).hexdigest()

    def names(self) -> list[str]:
        with self.lock:
            return sorted(self.nodes)

    def set_online(self, name: str, online: bool = True) -> None:
        with self.lock:
            self.nodes[name].online = online

    def set_busy(self, name: str, busy: bool = True) -> None:
        with self.lock:
            self.nodes[name].busy = busy

    def remove(self, name: str) -> None:
        with self.lock:
            del self.nodes[name]

    def add(self, name: str, description: str = "", labels: str = "") -> None:
        """Create an agent by hand (as a user would in the web UI)."""
        with self.lock:
            self.nodes[name] = Node(name, description, 1, "/tmp", labels, {})


def nodes_of(double: JenkinsDouble) -> Nodes:
    state = double.state["nodes"]
    assert isinstance(state, Nodes)
    return state


def _check_name(name: str | None) -> str:
    if not name or not name.strip():
        raise Failure("Query parameter 'name' is required")
    name = name.strip()
    bad = sorted(ch for ch in set(name) if ch in _BAD_CHARS)
    if bad:
        raise Failure(f"\u2018{bad[0]}\u2019 is an unsafe character")
    if name in (".", ".."):
        raise Failure(f"\u201c{name}\u201d is not an allowed name")
    return name


def _computer_json(double: JenkinsDouble, node: Node) -> dict[str, Any]:
    return {
        "_class": "hudson.slaves.SlaveComputer",
        "displayName": node.name,
        "description": node.description,
        "icon": "symbol-computer" if node.online else "symbol-computer-offline",
        "idle": not node.busy,
        "jnlpAgent": node.launcher.get("stapler-class") == JNLP_LAUNCHER,
        "launchSupported": False,
        "manualLaunchAllowed": True,
        "numExecutors": node.executors,
        "offline": not node.online,
        "offlineCause": None,
        "offlineCauseReason": "",
        "temporarilyOffline": node.temporarily_offline,
        "assignedLabels": [{"name": lab} for lab in [*node.labels.split(), node.name]],
        "executors": [{}] * node.executors,
    }


def _built_in_json() -> dict[str, Any]:
    return {
        "_class": "hudson.model.Hudson$MasterComputer",
        "displayName": BUILT_IN,
        "description": "the Jenkins controller's built-in node",
        "icon": "symbol-computer",
        "idle": True,
        "jnlpAgent": False,
        "launchSupported": True,
        "manualLaunchAllowed": True,
        "numExecutors": 0,
        "offline": False,
        "offlineCause": None,
        "offlineCauseReason": "",
        "temporarilyOffline": False,
        "assignedLabels": [{"name": "built-in"}],
        "executors": [],
    }


def _select(value: Any, tree: dict[str, Any] | None) -> Any:
    if tree is None:
        return value
    if isinstance(value, list):
        return [_select(v, tree) for v in value]
    if isinstance(value, dict):
        out = {k: v for k, v in value.items() if k == "_class"}
        for key, sel in tree.items():
            if key in value:
                out[key] = _select(value[key], sel.sub)
        return out
    return value


def _answer(req: Request, data: dict[str, Any]) -> Response:
    tree_text = req.param("tree")
    if tree_text:
        try:
            tree = parse_tree(tree_text)
        except TreeSyntaxError as exc:
            raise Failure(str(exc)) from None
        data = _select(data, tree)
    return Response.json(data)


def _jnlp(double: JenkinsDouble, state: Nodes, node: Node) -> bytes:
    base = double.url + "/"
    args = [
        state.secret(node.name),
        node.name,
        "-workDir",
        node.remote_fs,
        "-internalDir",
        "remoting",
        "-url",
        base,
    ]
    if node.launcher.get("webSocket"):
        args.append("-webSocket")
    arguments = "".join(f"<argument>{escape(a)}</argument>" for a in args)
    return (
        f'<jnlp codebase="{escape(base)}computer/{escape(node.name)}/" spec="1.0+">'
        f"<information><title>Agent for {escape(node.name)}</title>"
        "<vendor>Jenkins project</vendor></information>"
        "<security><all-permissions/></security>"
        f'<resources><j2se version="1.8+"/><jar href="{escape(base)}jnlpJars/remoting.jar"/>'
        "</resources>"
        f'<application-desc main-class="hudson.remoting.jnlp.Main">{arguments}'
        "</application-desc></jnlp>"
    ).encode()


def install(double: JenkinsDouble) -> None:
    state = Nodes()
    double.state["nodes"] = state

    def lookup(name: str) -> Node:
        node = state.nodes.get(name)
        if node is None:
            raise NotFound
        return node

    def create(req: Request, m: re.Match[str]) -> Response:
        name = _check_name(req.param("name"))
        kind = req.param("type")
        if kind not in NODE_TYPES:
            raise Failure(f"No such agent type: {kind}")
        try:
            form = json.loads(req.param("json") or "")
        except ValueError:
            raise Failure("Invalid agent configuration: json is not JSON") from None
        try:
            executors = int(form.get("numExecutors", 1))
        except (TypeError, ValueError):
            raise Failure("Invalid agent configuration: numExecutors") from None
        if executors < 1:
            raise Failure("Invalid agent configuration. Number of executors must be positive")
        remote_fs = str(form.get("remoteFS") or "")
        if not remote_fs:
            raise Failure("Remote directory is mandatory.")
        with state.lock:
            if name in state.nodes or name == BUILT_IN:
                raise Failure(f"Agent called \u2018{name}\u2019 already exists")
            state.nodes[name] = Node(
                name=name,
                description=str(form.get("nodeDescription") or ""),
                executors=executors,
                remote_fs=remote_fs,
                labels=str(form.get("labelString") or ""),
                launcher=dict(form.get("launcher") or {}),
            )
        return Response.redirect(double.url + "/computer/")

    def listing(req: Request, m: re.Match[str]) -> Response:
        with state.lock:
            computers = [_built_in_json()] + [
                _computer_json(double, state.nodes[n]) for n in sorted(state.nodes)
            ]
        return _answer(
            req,
            {
                "_class": "hudson.model.ComputerSet",
                "busyExecutors": 0,
                "computer": computers,
                "displayName": "Nodes",
                "totalExecutors": sum(c["numExecutors"] for c in computers),
            },
        )

    def info(req: Request, m: re.Match[str]) -> Response:
        name = m["name"]
        if name in (BUILT_IN, "(built-in)", "(master)"):
            return _answer(req, _built_in_json())
        with state.lock:
            data = _computer_json(double, lookup(name))
        return _answer(req, data)

    def jnlp(req: Request, m: re.Match[str]) -> Response:
        with state.lock:
            node = lookup(m["name"])
            body = _jnlp(double, state, node)
        return Response(200, body, "application/x-java-jnlp-file")

    def delete(req: Request, m: re.Match[str]) -> Response:
        with state.lock:
            lookup(m["name"])
            del state.nodes[m["name"]]
        return Response.redirect(double.url + "/computer/")

    def page(req: Request, m: re.Match[str]) -> Response:
        with state.lock:
            rows = "".join(f"<li>{escape(n)}</li>" for n in sorted(state.nodes))
        return Response(
            200, f"<html><body><ul>{rows}</ul></body></html>".encode(), "text/html;charset=utf-8"
        )

    double.router.add("GET", r"computer/?", page, kind="computer/")
    double.router.add("POST", r"computer/doCreateItem", create, kind="computer/doCreateItem")
    double.router.add("GET", r"computer/api/json", listing, kind="computer/api/json")
    double.router.add("GET", r"computer/(?P<name>[^/]+)/api/json", info, kind="computer/N/api/json")
    double.router.add(
        "GET",
        r"computer/(?P<name>[^/]+)/(?:jenkins|slave)-agent\.jnlp",
        jnlp,
        kind="computer/N/jnlp",
    )
    double.router.add(
        "POST", r"computer/(?P<name>[^/]+)/doDelete", delete, kind="computer/N/doDelete"
    )
