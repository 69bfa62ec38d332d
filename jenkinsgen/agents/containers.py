"""Agent containers on a Docker engine: how they are started, found and removed.

Every container jenkinsgen starts carries labels that mark it as ours and say which controller
and pool it belongs to (:data:`MANAGED`, :data:`CONTROLLER`, :data:`POOL`, :data:`AGENT`);
nothing without them is ever listed, stopped or removed.  The agent secret is never a label,
an argument or a log line: it is copied into the created container as a file readable only by
the agent user (uid 1000), and ``JENKINS_SECRET`` names that file (``@/path``), which the
inbound agent's start script passes on as ``-secret @/path``.  Passing the value itself in
``JENKINS_SECRET`` would put it on the agent's java command line, where every user of the
Docker host sees it with ``ps``.
Docker errors are converted here into :class:`AgentError` naming the agent and host, with the
secret scrubbed from the text.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import re
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import docker.errors

from jenkinsgen.agents.hosts import DockerHost
from jenkinsgen.docker_errors import ENGINE_ERRORS
from jenkinsgen.errors import AgentError
from jenkinsgen.jenkins.nodes import AgentSecret

__all__ = [
    "AGENT",
    "CONTROLLER",
    "DOCKER_ERRORS",
    "MANAGED",
    "POOL",
    "SECRET_PATH",
    "AgentContainer",
    "AgentSettings",
    "container_name",
    "controller_id",
    "list_agents",
    "logs_tail",
    "redact",
    "remove",
    "run_agent",
    "secret_archive",
    "start",
]

MANAGED = "io.jenkinsgen.managed"
CONTROLLER = "io.jenkinsgen.controller"
POOL = "io.jenkinsgen.pool"
AGENT = "io.jenkinsgen.agent"
IMAGE = "io.jenkinsgen.image"
AGENT_SOCKET = "/var/run/docker.sock"
#: Where the secret file goes in the container: the root exists in every image.
SECRET_DIR = "/"
SECRET_FILE = ".jenkinsgen-agent-secret"
SECRET_PATH = SECRET_DIR + SECRET_FILE
#: The inbound agent images run the agent as jenkins, uid/gid 1000.
AGENT_UID = 1000
#: Jenkins agent secrets are 64 hex digits (HMAC-SHA256); scrub anything that looks like one.
_SECRET_LIKE = re.compile(r"\b[0-9a-fA-F]{64}\b")

T = TypeVar("T")
#: What a Docker SDK call raises (the engine went away after we connected, a dropped ssh or
#: TCP connection, a stream that broke off): one list for every module that calls the engine.
DOCKER_ERRORS = ENGINE_ERRORS


def controller_id(url: str) -> str:
    """A short, stable id of a controller URL (scheme and host lower-cased, no trailing /)."""
    normal = url.strip().rstrip("/")
    scheme, sep, rest = normal.partition("://")
    host, slash, path = rest.partition("/")
    normal = f"{scheme.lower()}{sep}{host.lower()}{slash}{path}"
    return hashlib.sha256(normal.encode()).hexdigest()[:12]


def container_name(controller: str, agent: str) -> str:
    return f"jenkinsgen-agent-{controller[:8]}-{agent}"


def redact(text: str, *secrets: AgentSecret) -> str:
    """``text`` with the given secrets, and anything shaped like one, replaced by ****."""
    for secret in secrets:
        value = secret.reveal()
        if value:
            text = text.replace(value, "****")
    return _SECRET_LIKE.sub("****", text)


@dataclass(frozen=True)
class AgentSettings:
    """How every agent container of a pool is started."""

    image: str
    jenkins_url: str  # what the agent connects to
    controller: str  # controller_id of the URL the nodes were created through
    pool: str
    remote_fs: str = "/home/jenkins/agent"
    websocket: bool = False


@dataclass
class AgentContainer:
    """One of our containers as the engine reports it."""

    host: DockerHost
    id: str
    name: str  # the agent (node) name
    pool: str
    state: str  # running, exited, created, restarting, paused, dead
    created: datetime
    image: str
    handle: Any  # the docker SDK Container

    @property
    def running(self) -> bool:
        return self.state == "running"


def _docker(
    host: DockerHost, agent: str, what: str, fn: Callable[[], T], *secrets: AgentSecret
) -> T:
    try:
        return fn()
    except DOCKER_ERRORS as exc:
        text = redact(str(exc).strip().splitlines()[0] if str(exc).strip() else "", *secrets)
        raise AgentError(
            f"{agent}: {what} on {host} failed: {text or type(exc).__name__}"
        ) from None


def _parse_created(value: str) -> datetime:
    # Docker gives RFC 3339 with nanoseconds; keep microseconds for fromisoformat.
    m = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)?", value)
    if not m:
        return datetime.min.replace(tzinfo=UTC)
    frac = (m.group(2) or ".0")[:7]
    zone = m.group(3) or "Z"
    return datetime.fromisoformat(m.group(1) + frac + ("+00:00" if zone == "Z" else zone))


def list_agents(
    client: Any, host: DockerHost, controller: str, pool: str | None = None
) -> list[AgentContainer]:
    """Our containers for ``controller`` (and ``pool``) on one engine, running or not."""
    filters = [f"{MANAGED}=true", f"{CONTROLLER}={controller}"]
    if pool is not None:
        filters.append(f"{POOL}={pool}")
    found = _docker(
        host,
        "(list)",
        "listing containers",
        lambda: client.containers.list(all=True, filters={"label": filters}),
    )
    out = []
    for c in found:
        labels = c.labels or {}
        out.append(
            AgentContainer(
                host=host,
                id=c.id,
                name=labels.get(AGENT, ""),
                pool=labels.get(POOL, ""),
                state=c.status,
                created=_parse_created(str(c.attrs.get("Created", ""))),
                image=labels.get(IMAGE, ""),
                handle=c,
            )
        )
    return out


def secret_archive(secret: AgentSecret) -> bytes:
    """A tar holding the secret file (no newline, mode 0400, owned by the agent user)."""
    data = secret.reveal().encode()
    info = tarfile.TarInfo(SECRET_FILE)
    info.size, info.mode, info.uid, info.gid = len(data), 0o400, AGENT_UID, AGENT_UID
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def run_agent(
    client: Any, host: DockerHost, name: str, secret: AgentSecret, settings: AgentSettings
) -> AgentContainer:
    """Start the agent container for node ``name`` (host network, socket mounted).

    Created, given its secret file, then started; a container that cannot be completed is
    removed again, so no half-made agent container is left behind.
    """
    environment = {
        "JENKINS_URL": settings.jenkins_url,
        "JENKINS_AGENT_NAME": name,
        "JENKINS_AGENT_WORKDIR": settings.remote_fs,
        "JENKINS_SECRET": "@" + SECRET_PATH,
    }
    if settings.websocket:
        environment["JENKINS_WEB_SOCKET"] = "true"
    labels = {
        MANAGED: "true",
        CONTROLLER: settings.controller,
        POOL: settings.pool,
        AGENT: name,
        IMAGE: settings.image,
    }

    def create() -> Any:
        return client.containers.create(
            settings.image,
            name=container_name(settings.controller, name),
            detach=True,
            environment=environment,
            labels=labels,
            network_mode="host",
            restart_policy={"Name": "unless-stopped"},
            volumes={host.socket_path: {"bind": AGENT_SOCKET, "mode": "rw"}},
        )

    c = _docker(host, name, f"creating a container from {settings.image}", create, secret)
    try:

        def complete() -> None:
            if not c.put_archive(SECRET_DIR, secret_archive(secret)):
                raise docker.errors.DockerException("the secret file was not accepted")
            c.start()
            c.reload()

        _docker(host, name, "starting its container", complete, secret)
    except AgentError:
        with contextlib.suppress(*DOCKER_ERRORS):
            c.remove(force=True)
        raise
    return AgentContainer(
        host,
        c.id,
        name,
        settings.pool,
        c.status,
        _parse_created(str(c.attrs.get("Created", ""))),
        settings.image,
        c,
    )


def start(agent: AgentContainer) -> None:
    """Start a stopped container again."""
    _docker(agent.host, agent.name, "restarting its container", agent.handle.start)


def remove(agent: AgentContainer) -> None:
    """Stop and remove one of our containers (gone already is fine)."""

    def rm() -> None:
        with contextlib.suppress(docker.errors.NotFound):
            agent.handle.remove(force=True)

    _docker(agent.host, agent.name, "removing its container", rm)


def logs_tail(agent: AgentContainer, lines: int = 10) -> list[str]:
    """The last ``lines`` log lines of the container, secrets scrubbed."""
    try:
        raw = agent.handle.logs(tail=lines, stdout=True, stderr=True)
    except DOCKER_ERRORS as exc:
        return [f"(logs unavailable: {redact(str(exc).splitlines()[0] if str(exc) else '')})"]
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    return [redact(line) for line in text.splitlines()[-lines:]]
