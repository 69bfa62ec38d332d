"""The stack's settings in ``.env``: what ``init`` writes, ``up``/``down`` read, and docker
compose reads too (it substitutes ``${NAME}`` in ``compose.yaml`` from this file).

One ``NAME=value`` per line, ``#`` comments, no quoting: the subset docker compose v1 and v2
read alike. Every name below must be present; a line that is not ``NAME=value`` is an error
located at its line.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, fields
from pathlib import Path

from jenkinsgen import __version__
from jenkinsgen.errors import StackError

__all__ = [
    "DEFAULT_PORTS",
    "Ports",
    "Settings",
    "default_settings",
    "project_name",
    "read_settings",
    "render_env",
    "validate_bind_address",
]

_LINE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$")
_PROJECT = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_IMAGE = re.compile(r"^[a-z0-9][a-z0-9._/:@-]*$", re.I)


@dataclass(frozen=True)
class Ports:
    """The ports ``init`` gives the stack: Jenkins, the registry, the release receiver, the
    first HAProxy frontend and the first slot port (one frontend and 100 slot ports per
    release environment, in spec order)."""

    jenkins: int = 8080
    registry: int = 5000
    receiver: int = 8481
    proxy: int = 8470
    slots: int = 21000


DEFAULT_PORTS = Ports()


@dataclass(frozen=True)
class Settings:
    """Everything ``.env`` holds (names as in the file, lower case here)."""

    compose_project_name: str
    bind_address: str
    jenkins_port: int
    jenkins_url: str
    registry_port: int
    receiver_port: int
    docker_socket: str
    docker_gid: int
    controller_image: str
    agent_image: str
    receiver_image: str
    registry_image: str
    proxy_image: str

    @property
    def registry(self) -> str:
        """``host:port`` of the stack's registry, as pushes and pulls name it."""
        return f"{_url_host(self.bind_address)}:{self.registry_port}"

    @property
    def receiver_url(self) -> str:
        return f"http://{_url_host(self.bind_address)}:{self.receiver_port}"


def _url_host(address: str) -> str:
    return f"[{address}]" if ":" in address else address


#: What each setting means, written above it in ``.env``.
_COMMENTS = {
    "compose_project_name": "docker compose project (container, volume and network names)",
    "bind_address": "every server of the stack listens here only (127.0.0.1: this machine)",
    "jenkins_port": "Jenkins web UI and API",
    "jenkins_url": "Jenkins root URL, as browsers and the seed job reach it",
    "registry_port": "the registry (user jenkinsgen, password in secrets/registry-password)",
    "receiver_port": "the release receiver (deploy triggers)",
    "docker_socket": "the Docker engine's socket on this machine",
    "docker_gid": "its group: agent containers get it (--group-add) to build images",
    "controller_image": "built by jenkinsgen up: the controller with plugins, jobs and casc",
    "agent_image": "built by jenkinsgen up: agents.image in jenkinsgen.yaml must name it",
    "receiver_image": "built by jenkinsgen up: the seed image, also the release receiver",
    "registry_image": "pulled: distribution's registry",
    "proxy_image": "pulled: HAProxy 2.6, one per release environment",
}


def project_name(directory: Path) -> str:
    """The compose project name of a stack directory: its name, in the characters compose
    accepts (lower-case letters, digits, ``_``, ``-``)."""
    slug = re.sub(r"[^a-z0-9_-]+", "-", directory.resolve().name.lower()).strip("-_")
    return slug or "jenkinsgen"


def default_settings(
    directory: Path, bind_address: str, ports: Ports, docker_socket: str, docker_gid: int
) -> Settings:
    """What ``init`` writes into ``.env``."""
    project = project_name(directory)
    host = _url_host(bind_address)
    return Settings(
        compose_project_name=project,
        bind_address=bind_address,
        jenkins_port=ports.jenkins,
        jenkins_url=f"http://{host}:{ports.jenkins}/",
        registry_port=ports.registry,
        receiver_port=ports.receiver,
        docker_socket=docker_socket,
        docker_gid=docker_gid,
        controller_image=f"jenkinsgen/controller:{project}",
        agent_image=f"jenkinsgen/agent:{project}",
        receiver_image=f"jenkinsgen-seed:{__version__}",
        registry_image="registry:2",
        proxy_image="haproxy:2.6",
    )


def render_env(settings: Settings) -> str:
    """The text of ``.env``."""
    lines = [
        "# Settings of this jenkinsgen stack, read by `jenkinsgen up`/`down` and by docker",
        "# compose (${NAME} in compose.yaml). Ports and addresses also appear in",
        "# jenkinsgen.yaml (registry, webhooks, seed.jenkins_url): change them in both.",
    ]
    for item in fields(Settings):
        lines.append(f"# {_COMMENTS[item.name]}")
        lines.append(f"{item.name.upper()}={getattr(settings, item.name)}")
    return "\n".join(lines) + "\n"


def validate_bind_address(value: str) -> str:
    """``value`` when it is an IP address (servers bind it), else StackError."""
    try:
        ipaddress.ip_address(value)
    except ValueError:
        raise StackError(f"bind address {value!r} is not an IP address") from None
    return value


def _port(value: str) -> int | None:
    return int(value) if value.isdigit() and 0 < int(value) < 65536 else None


def read_settings(path: Path) -> Settings:
    """Parse ``.env``; every problem is a StackError naming the file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise StackError(f"{path}: cannot read the stack settings: {why}") from None
    values: dict[str, tuple[str, int]] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        m = _LINE.match(line)
        if m is None:
            raise StackError(f"{path}:{number}: not a NAME=value line: {line[:60]!r}")
        values[m.group(1)] = (m.group(2).strip(), number)
    out: dict[str, object] = {}
    for item in fields(Settings):
        name = item.name.upper()
        if name not in values:
            raise StackError(f"{path}: {name} is missing (jenkinsgen init writes it)")
        value, number = values[name]
        where = f"{path}:{number}: {name}"
        out[item.name] = _check(item.name, value, where)
    return Settings(**out)  # type: ignore[arg-type]


def _check(name: str, value: str, where: str) -> object:
    if name.endswith("_port"):
        port = _port(value)
        if port is None:
            raise StackError(f"{where}: {value!r} is not a port (1-65535)")
        return port
    if name == "docker_gid":
        if not value.isdigit():
            raise StackError(f"{where}: {value!r} is not a group id")
        return int(value)
    if name == "bind_address":
        try:
            return validate_bind_address(value)
        except StackError:
            raise StackError(f"{where}: {value!r} is not an IP address") from None
    if name == "compose_project_name" and not _PROJECT.match(value):
        raise StackError(f"{where}: {value!r}: lower-case letters, digits, '_' and '-' only")
    if name == "jenkins_url" and not re.match(r"^https?://[^\s/]+(/[^\s]*)?/$", value):
        raise StackError(f"{where}: {value!r} is not an http(s) URL ending in '/'")
    if name == "docker_socket" and not value.startswith("/"):
        raise StackError(f"{where}: {value!r} is not an absolute path")
    if name.endswith("_image") and not _IMAGE.match(value):
        raise StackError(f"{where}: {value!r} is not an image reference")
    return value
