"""The release keys of spec v1: ``environments[].release`` and ``services[].run``.

Declared with the same field types as the rest of v1 (see ``spec/v1.py``), so the validator
and the JSON Schema agree.  What JSON Schema cannot say (checks across environments and
services, numeric port ranges) is :func:`release_checks`, run by the loader on the composed
YAML so every problem keeps its location; its message fragments are :data:`SEMANTIC_CHECKS`.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any
from urllib.parse import urlsplit

import yaml

from jenkinsgen.spec import model
from jenkinsgen.spec.fields import Collector, Field, Int, List, Obj, ObjRule, Str, StrMap
from jenkinsgen.spec.nodes import get, items, scalar

__all__ = [
    "DEFAULT_DOCKER_HOST",
    "RELEASE",
    "RUN",
    "SEMANTIC_CHECKS",
    "confirm_needs_approvers",
    "release_checks",
    "resolve_release",
    "resolve_run",
]

#: A TCP port, 1-65535, as a regex (so the JSON Schema says it too).
PORT = r"(?:[1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])"
PORT_RANGE = rf"{PORT}-{PORT}"
_HOST = (
    r"(?:(?:[0-9]{1,3}\.){3}[0-9]{1,3}|\[[0-9A-Fa-f:.]+\]"
    r"|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)"
)
LISTEN = rf"(?:{_HOST}|\*):{PORT}"
#: Paths land unquoted in the HAProxy configuration: no spaces, quotes or '#'.
ABS_PATH = r"/[A-Za-z0-9._/-]*"
#: A unix socket path fits in sockaddr_un.sun_path (108 bytes with the final NUL).
SOCKET_PATH = r"/[A-Za-z0-9._/-]{1,106}"
DEFAULT_DOCKER_HOST = "unix:///var/run/docker.sock"
DOCKER_HOST = (
    r"unix:///[A-Za-z0-9._/-]+"
    rf"|tcp://{_HOST}:{PORT}(?:\?certs=/[A-Za-z0-9._/-]*)?"
    rf"|ssh://(?:[A-Za-z0-9._-]+@)?{_HOST}(?::{PORT})?"
)
#: ``host``, ``bridge`` or a user-defined Docker network (never ``none``: unreachable).
NETWORK = r"(?!none$)[A-Za-z0-9][A-Za-z0-9_.-]*"
#: A Host header value routed to a service.
HOSTNAME = r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?"
HEALTH_PATH = r"/[A-Za-z0-9._~%/?=&+:@,;!*-]*"
#: Environment variable names: not the ones jenkinsgen sets, not a secret's name.
ENV_NAME = (
    r"(?!PORT$)(?!JENKINSGEN_)"
    r"(?![A-Za-z0-9_]*(?:PASSWORD|PASSWD|SECRET|TOKEN|API_KEY|PRIVATE_KEY"
    r"|password|passwd|secret|token|api_key|private_key))"
    r"[A-Za-z_][A-Za-z0-9_]*"
)
ENV_HINT = (
    "an environment variable name (letters, digits, _); not PORT or JENKINSGEN_* (set by "
    "jenkinsgen), and not a secret's name (PASSWORD, SECRET, TOKEN, API_KEY, PRIVATE_KEY): "
    "secrets never go in the spec"
)

#: Fragments of the messages of :func:`release_checks` (JSON Schema cannot say these).
SEMANTIC_CHECKS = (
    "release block",
    "port range",
    "duplicate release",
    "duplicate host",
    "duplicate webhook path",
    "the receiver's own",
)


def _path(description: str, pattern: str = ABS_PATH) -> Str:
    return Str(
        description=description,
        pattern=pattern,
        pattern_hint="an absolute path (letters, digits, '.', '_', '-', '/')",
    )


PROXY = Obj(
    "release.proxy",
    {
        "listen": Field(
            Str(
                description="HAProxy frontend address of this environment; routes by Host header",
                pattern=LISTEN,
                pattern_hint="HOST:PORT such as 127.0.0.1:8480 (or *:PORT)",
            ),
            required=True,
        ),
        "admin_socket": Field(
            _path("HAProxy runtime API socket (level admin)", SOCKET_PATH), required=True
        ),
        "config": Field(
            _path("Where proxy-config writes the HAProxy configuration"), required=True
        ),
    },
    build=lambda v: model.Proxy(**v),
    description="The HAProxy in front of this environment's services",
)


def _ports(text: str) -> tuple[int, int]:
    first, _, last = text.partition("-")
    return int(first), int(last)


RELEASE = Obj(
    "release",
    {
        "docker_host": Field(
            Str(
                description="Docker engine the services run on (unix://, tcp://[?certs=DIR], "
                "ssh://)",
                pattern=DOCKER_HOST,
                pattern_hint="unix:///path/docker.sock, tcp://HOST:PORT[?certs=DIR] or "
                "ssh://[USER@]HOST[:PORT]",
            ),
            default=DEFAULT_DOCKER_HOST,
        ),
        "network": Field(
            Str(
                description="host: the app listens on $PORT, its slot's port; bridge (or a "
                "user-defined network): run.port published on the slot's port",
                pattern=NETWORK,
                pattern_hint="host, bridge or the name of a Docker network (not none)",
            ),
            default="host",
        ),
        "confirm": Field(
            Str(
                description="manual: wait for confirm or rollback; auto: confirm once healthy "
                "(default: as the environment's deploy)",
                enum=("manual", "auto"),
            )
        ),
        "ports": Field(
            Str(
                description="Slot ports are taken from here (two per service, stable, never "
                "shared)",
                pattern=PORT_RANGE,
                pattern_hint="FIRST-LAST such as 21000-21999",
            ),
            required=True,
        ),
        "proxy": Field(PROXY, required=True),
        "state_dir": Field(
            _path("Where the release state of this environment lives"), required=True
        ),
        "drain_timeout": Field(
            Int(
                description="Seconds confirm and rollback wait for the old slot's requests",
                minimum=1,
                maximum=86400,
            ),
            default=300,
        ),
    },
    build=lambda v: model.Release(**{**v, "ports": _ports(v["ports"])}),
    description="Blue-green releases of this environment's services through HAProxy",
)

RUN = Obj(
    "run",
    {
        "port": Field(
            Int(
                description="Port the app listens on in its container (bridge)",
                minimum=1,
                maximum=65535,
            ),
            default=8080,
        ),
        "health": Field(
            Str(
                description="Path whose GET must answer 2xx before traffic moves",
                pattern=HEALTH_PATH,
                pattern_hint="a path such as /healthz",
            ),
            default="/healthz",
        ),
        "health_timeout": Field(
            Int(description="Seconds a new version has to become healthy", minimum=1, maximum=3600),
            default=60,
        ),
        "hosts": Field(
            List(
                Str(
                    description="Host header value",
                    pattern=HOSTNAME,
                    pattern_hint="a host name such as orders.example.com",
                ),
                min_items=1,
                unique=True,
                description="Host header values routed to the service (default: its name)",
            )
        ),
        "env": Field(
            StrMap(
                description="Environment variables of the container (plain values only)",
                key_pattern=ENV_NAME,
                key_hint=ENV_HINT,
            ),
            default={},
        ),
    },
    build=lambda v: model.Run(
        **{
            **v,
            "hosts": tuple(v["hosts"] or ()),
            "env": tuple(sorted(v["env"].items())),
        }
    ),
    description="How the service runs where an environment has a release block",
)


def resolve_release(values: dict[str, Any]) -> model.Release | None:
    """The environment's release with ``confirm`` defaulted from its ``deploy``."""
    release: model.Release | None = values.get("release")
    if release is None or release.confirm is not None:
        return release
    return dataclasses.replace(release, confirm=values["deploy"])


def resolve_run(run: model.Run | None, service: str) -> model.Run | None:
    """The service's run with ``hosts`` defaulted to its name."""
    if run is None or run.hosts:
        return run
    return dataclasses.replace(run, hosts=(service,))


def _confirm_manual_without_approvers(v: dict[str, Any]) -> tuple[str, str] | None:
    release = v.get("release")
    if release is not None and release.confirm == "manual" and not v["approvers"]:
        return ("approvers", "release confirm: manual needs at least one approver")
    return None


#: Environment rule: an explicit ``confirm: manual`` is settled by the approvers.
confirm_needs_approvers = ObjRule(
    _confirm_manual_without_approvers,
    {
        "if": {
            "properties": {
                "release": {"properties": {"confirm": {"const": "manual"}}, "required": ["confirm"]}
            },
            "required": ["release"],
        },
        "then": {"required": ["approvers"], "properties": {"approvers": {"minItems": 1}}},
    },
)


def _first_seen(
    c: Collector, where: str, node: yaml.Node | None, value: str, seen: dict[str, str], what: str
) -> None:
    if value in seen:
        c.add(node, where, f"duplicate {what} {value!r} (first used by {seen[value]})")
    else:
        seen[value] = where


def release_checks(root: yaml.Node, c: Collector) -> None:
    """The release checks that span environments and services (see module docstring)."""
    envs = items(get(root, "environments"))
    services = items(get(root, "services"))
    released: dict[str, tuple[int, yaml.Node]] = {}
    for i, env in enumerate(envs):
        name, release = scalar(get(env, "name")), get(env, "release")
        if name is not None and isinstance(release, yaml.MappingNode):
            released.setdefault(name, (i, release))
    if not released:
        return
    members = _members(services, [scalar(get(e, "name")) for e in envs])
    _check_services(c, services, members, released)
    _check_environments(c, released, members)


def _members(services: list[yaml.Node], env_names: list[str | None]) -> list[list[str]]:
    """For each service, the environments it takes part in."""
    out = []
    for svc in services:
        listed = get(svc, "environments")
        if listed is None:
            out.append([e for e in env_names if e is not None])
        else:
            out.append([e for e in (scalar(n) for n in items(listed)) if e is not None])
    return out


def _check_services(
    c: Collector,
    services: list[yaml.Node],
    members: list[list[str]],
    released: dict[str, tuple[int, yaml.Node]],
) -> None:
    hosts: dict[str, str] = {}
    paths: dict[str, str] = {}
    for i, svc in enumerate(services):
        in_released = [e for e in members[i] if e in released]
        name = scalar(get(svc, "name"))
        if not in_released or name is None:
            continue
        run = get(svc, "run")
        if run is None:
            c.add(
                svc,
                f"services[{i}].run",
                f"missing: the service takes part in environment {in_released[0]!r}, "
                "which has a release block",
            )
        host_nodes = items(get(run, "hosts")) if get(run, "hosts") is not None else [None]
        for j, node in enumerate(host_nodes):
            host = name if node is None else scalar(node)
            if host is None:
                continue
            where = f"services[{i}].run.hosts[{j}]" if node is not None else f"services[{i}].name"
            _first_seen(c, where, node or get(svc, "name"), host.lower(), hosts, "host")
        trigger = get(svc, "trigger")
        if trigger is not None and get(trigger, "credentials") is None:
            c.add(
                trigger,
                f"services[{i}].trigger.credentials",
                f"missing: environment {in_released[0]!r} has a release block, whose receiver "
                "accepts only triggers with a bearer token",
            )
        webhook = scalar(get(trigger, "webhook"))
        if webhook is None:
            continue
        try:
            path = urlsplit(webhook).path or "/"
        except ValueError:
            continue
        where = f"services[{i}].trigger.webhook"
        if path == "/releases" or path.startswith("/releases/"):
            c.add(
                get(trigger, "webhook"),
                where,
                f"webhook path {path!r} is the receiver's own /releases/ API; choose another",
            )
        _first_seen(c, where, get(trigger, "webhook"), path, paths, "webhook path")


def _check_environments(
    c: Collector, released: dict[str, tuple[int, yaml.Node]], members: list[list[str]]
) -> None:
    seen: dict[str, dict[str, str]] = {k: {} for k in ("listen", "admin_socket", "config")}
    seen_dirs: dict[str, str] = {}
    ranges: list[tuple[str, int, int, int]] = []  # docker host, first, last, env index
    for name, (i, release) in released.items():
        base = f"environments[{i}].release"
        proxy = get(release, "proxy")
        for key, values in seen.items():
            value = scalar(get(proxy, key))
            if value is not None:
                _first_seen(
                    c, f"{base}.proxy.{key}", get(proxy, key), value, values, f"release {key}"
                )
        state_dir = scalar(get(release, "state_dir"))
        if state_dir is not None:
            _first_seen(
                c,
                f"{base}.state_dir",
                get(release, "state_dir"),
                state_dir.rstrip("/") or "/",
                seen_dirs,
                "release state_dir",
            )
        ports_node = get(release, "ports")
        text = scalar(ports_node)
        if text is None or not re.fullmatch(PORT_RANGE, text):
            continue
        first, last = _ports(text)
        where = f"{base}.ports"
        if first > last:
            c.add(
                ports_node, where, f"port range {text} is empty (the first port is after the last)"
            )
            continue
        needed = 2 * sum(1 for m in members if name in m)
        if last - first + 1 < needed:
            c.add(
                ports_node,
                where,
                f"port range {text} holds {last - first + 1} port(s); environment {name!r} "
                f"needs two per service ({needed})",
            )
        listen = scalar(get(proxy, "listen"))
        if listen is not None and re.fullmatch(LISTEN, listen):
            port = int(listen.rsplit(":", 1)[1])
            if first <= port <= last:
                c.add(ports_node, where, f"port range {text} holds the proxy's listen port {port}")
        host = scalar(get(release, "docker_host")) or DEFAULT_DOCKER_HOST
        for other_host, o_first, o_last, j in ranges:
            if other_host == host and first <= o_last and o_first <= last:
                c.add(
                    ports_node,
                    where,
                    f"port range {text} overlaps environments[{j}]'s ({o_first}-{o_last}) on "
                    "the same Docker host",
                )
        ranges.append((host, first, last, i))
