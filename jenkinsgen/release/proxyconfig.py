"""The HAProxy 2.6 configuration of an environment, rendered from the spec and the state.

One frontend on ``release.proxy.listen`` routes by Host header to one backend per service;
each backend has two servers, the service's slots, health-checked on ``run.health`` (2xx),
with the weight the release state gives them and ``disabled`` when a slot is empty. HAProxy
never saves runtime changes, so the file is rewritten with every change of the state: an
HAProxy started or restarted from it routes exactly as before.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

from jenkinsgen.atomic import write_atomic
from jenkinsgen.errors import ReleaseError
from jenkinsgen.release.state import SLOTS, ServiceState
from jenkinsgen.spec.model import Release, Run, Service, Spec

__all__ = [
    "CHECK_TIMING",
    "backend_name",
    "render_proxy_config",
    "slot_address",
    "write_proxy_config",
]

#: Health-check timing of every slot server: fast enough that a release waits ~1 s for
#: HAProxy's own verdict, slow enough to cost nothing.
CHECK_TIMING = "inter 1s fastinter 250ms downinter 1s rise 2 fall 2"


def backend_name(service: str) -> str:
    return f"svc_{service}"


def slot_address(release: Release) -> str:
    """Where HAProxy reaches slot ports: this machine for a local engine, else the engine's
    host (host networking and published ports both listen there)."""
    parts = urlsplit(release.docker_host)
    if parts.scheme == "unix" or not parts.hostname:
        return "127.0.0.1"
    host = parts.hostname
    return f"[{host}]" if ":" in host else host


def _frontend(name: str, release: Release, routes: list[tuple[Service, Run]]) -> list[str]:
    lines = [
        f"frontend env_{name}",
        f"    bind {release.proxy.listen}",
        "    option forwardfor",
    ]
    for service, run in routes:
        hosts = " ".join(sorted({h.lower() for h in run.hosts}))
        lines.append(
            f"    use_backend {backend_name(service.name)} "
            f"if {{ req.hdr(host),field(1,:),lower -m str {hosts} }}"
        )
    lines += ["    default_backend no_service", ""]
    return lines


def _backend(release: Release, service: Service, run: Run, state: ServiceState) -> list[str]:
    address = slot_address(release)
    host = run.hosts[0]
    lines = [
        f"backend {backend_name(service.name)}",
        "    balance roundrobin",
        "    option httpchk",
        f"    http-check send meth GET uri {run.health} ver HTTP/1.1 hdr Host {host}",
        "    http-check expect rstatus ^2",
        f"    default-server check {CHECK_TIMING}",
    ]
    for slot in SLOTS:
        disabled = " disabled" if state.slots.get(slot) is None else ""
        lines.append(
            f"    server {slot} {address}:{state.ports[slot]} weight {state.weight(slot)}{disabled}"
        )
    lines.append("")
    return lines


def render_proxy_config(
    spec: Spec, environment: str, states: dict[str, ServiceState], source: str = ""
) -> str:
    """The configuration text; ``states`` holds every service of the environment."""
    env = spec.environment(environment)
    release = env.release
    assert release is not None, f"environment {environment} has no release block"
    routes: list[tuple[Service, Run]] = []
    for service in spec.services:
        if env in spec.environments_of(service) and service.run is not None:
            routes.append((service, service.run))
    lines = [
        f"# HAProxy configuration of environment {environment}, written by jenkinsgen release"
        + (f" from {source}" if source else "")
        + ".",
        "# Server weights and enabled slots follow the release state: do not edit; run",
        f"# `jenkinsgen release proxy-config SPEC --env {environment}` to write it again.",
        "global",
        f"    stats socket {release.proxy.admin_socket} mode 600 level admin expose-fd listeners",
        "    stats timeout 30s",
        "",
        "defaults",
        "    mode http",
        "    timeout connect 5s",
        "    timeout client 60s",
        "    timeout server 60s",
        "    timeout http-request 10s",
        "    timeout http-keep-alive 10s",
        "    timeout queue 30s",
        "    timeout check 5s",
        "    retries 3",
        "",
        *_frontend(environment, release, routes),
        "backend no_service",
        '    http-request return status 404 content-type text/plain string "no service for '
        'this Host header"',
        "",
    ]
    for service, run in routes:
        lines += _backend(release, service, run, states[service.name])
    return "\n".join(lines)


def write_proxy_config(path: str | os.PathLike[str], text: str) -> None:
    """Write the configuration atomically (readable by the HAProxy user)."""
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(target, text, mode=0o644)
    except OSError as exc:
        raise ReleaseError(f"cannot write HAProxy configuration {target}: {exc.strerror}") from None
