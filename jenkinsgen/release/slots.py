"""Slot containers on a Docker engine: how a version is started, found and removed.

Every container carries labels naming the spec folder, environment, service, slot, image,
release id and the service's two slot ports, so the release state can be rebuilt from what
runs; nothing without them is ever listed or removed. Docker errors are converted here into
:class:`ReleaseError` naming the image or container.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import docker.errors

from jenkinsgen.docker_errors import ENGINE_ERRORS, engine_error
from jenkinsgen.errors import ReleaseError
from jenkinsgen.spec.model import Release, Run

__all__ = [
    "LABEL",
    "SlotContainer",
    "container_name",
    "container_state",
    "ensure_image",
    "find_containers",
    "logs_tail",
    "remove_container",
    "start_container",
]

#: Label keys; every one starts with this prefix.
LABEL = "io.jenkinsgen.release"
_FOLDER, _ENV, _SERVICE = f"{LABEL}.folder", f"{LABEL}.environment", f"{LABEL}.service"
_SLOT, _IMAGE, _ID, _PORTS = f"{LABEL}.slot", f"{LABEL}.image", f"{LABEL}.id", f"{LABEL}.ports"
#: Seconds a container gets to exit after SIGTERM before it is killed.
STOP_TIMEOUT = 10

T = TypeVar("T")
_DOCKER_ERRORS = ENGINE_ERRORS


def _docker(what: str, fn: Callable[[], T]) -> T:
    try:
        return fn()
    except _DOCKER_ERRORS as exc:
        raise ReleaseError(f"{what} failed: {engine_error(exc)}") from None


@dataclass
class SlotContainer:
    """One of our containers as the engine reports it."""

    name: str
    service: str
    slot: str
    image: str
    release: str
    ports: tuple[int, int] | None
    state: str  # running, exited, created, restarting, paused, dead
    exit_code: int
    created: str
    handle: Any  # the docker SDK Container

    @property
    def running(self) -> bool:
        return self.state == "running"

    def describe(self) -> str:
        if self.running:
            return "running"
        return f"{self.state} (exit code {self.exit_code})"


def container_name(environment: str, service: str, slot: str, release_id: str) -> str:
    return f"jenkinsgen-{environment}-{service}-{slot}-{release_id.rsplit('-', 1)[-1]}"


def _labels(folder: str, environment: str, service: str | None = None) -> list[str]:
    out = [f"{_FOLDER}={folder}", f"{_ENV}={environment}"]
    if service is not None:
        out.append(f"{_SERVICE}={service}")
    return out


def find_containers(
    client: Any, folder: str, environment: str, service: str | None = None
) -> list[SlotContainer]:
    """Our containers of the environment (or one service of it), running or not, oldest
    first."""
    found = _docker(
        f"listing the containers of {environment}",
        lambda: client.containers.list(
            all=True, filters={"label": _labels(folder, environment, service)}
        ),
    )
    out = []
    for c in found:
        labels = c.labels or {}
        ports = labels.get(_PORTS, "")
        first, _, second = ports.partition(",")
        state = c.attrs.get("State") or {}
        out.append(
            SlotContainer(
                name=c.name,
                service=labels.get(_SERVICE, ""),
                slot=labels.get(_SLOT, ""),
                image=labels.get(_IMAGE, ""),
                release=labels.get(_ID, ""),
                ports=(int(first), int(second)) if first.isdigit() and second.isdigit() else None,
                state=c.status,
                exit_code=int(state.get("ExitCode", 0) or 0),
                created=str(c.attrs.get("Created", "")),
                handle=c,
            )
        )
    return sorted(out, key=lambda c: c.created)


def ensure_image(client: Any, image: str) -> None:
    """Make ``image`` present on the engine: kept if there, pulled otherwise."""
    try:
        client.images.get(image)
        return
    except docker.errors.ImageNotFound:
        pass
    except _DOCKER_ERRORS as exc:
        raise ReleaseError(f"looking up image {image} failed: {exc}") from None
    _docker(f"pulling image {image}", lambda: client.images.pull(image))


def start_container(
    client: Any,
    release: Release,
    run: Run,
    *,
    folder: str,
    environment: str,
    service: str,
    slot: str,
    ports: dict[str, int],
    release_id: str,
    image: str,
    name: str,
) -> SlotContainer:
    """Create and start the container of a slot. Host networking: the app listens on $PORT,
    the slot's port. Any other network: ``run.port`` is published on the slot's port (on
    127.0.0.1 for a local engine, on every address of a remote one). A container that
    cannot start is removed again."""
    port = ports[slot]
    environ = dict(run.env)
    environ.update(
        {
            "JENKINSGEN_RELEASE": release_id,
            "JENKINSGEN_SLOT": slot,
            "PORT": str(port if release.network == "host" else run.port),
        }
    )
    labels = {
        _FOLDER: folder,
        _ENV: environment,
        _SERVICE: service,
        _SLOT: slot,
        _IMAGE: image,
        _ID: release_id,
        _PORTS: f"{ports['blue']},{ports['green']}",
    }
    kwargs: dict[str, Any] = {
        "name": name,
        "detach": True,
        "environment": environ,
        "labels": labels,
        "network_mode": release.network,
        "restart_policy": {"Name": "unless-stopped"},
        "init": True,  # Docker's init as PID 1: SIGTERM reaches the app, zombies are reaped
    }
    if release.network != "host":
        local = release.docker_host.startswith("unix://")
        kwargs["ports"] = {f"{run.port}/tcp": ("127.0.0.1" if local else "0.0.0.0", port)}
    c = _docker(
        f"creating the {slot} container of {service} from {image}",
        lambda: client.containers.create(image, **kwargs),
    )
    try:
        _docker(f"starting container {name}", c.start)
        _docker(f"inspecting container {name}", c.reload)
    except ReleaseError:
        with contextlib.suppress(*_DOCKER_ERRORS):
            c.remove(force=True)
        raise
    return SlotContainer(
        name=name,
        service=service,
        slot=slot,
        image=image,
        release=release_id,
        ports=(ports["blue"], ports["green"]),
        state=c.status,
        exit_code=0,
        created=str(c.attrs.get("Created", "")),
        handle=c,
    )


def remove_container(client: Any, name: str) -> bool:
    """Stop (SIGTERM, then SIGKILL after STOP_TIMEOUT s) and remove a container; False when
    it was gone already."""
    try:
        c = client.containers.get(name)
    except docker.errors.NotFound:
        return False
    except _DOCKER_ERRORS as exc:
        raise ReleaseError(f"looking up container {name} failed: {exc}") from None

    def stop_and_remove() -> None:
        with contextlib.suppress(docker.errors.NotFound):
            if c.status == "running":
                c.stop(timeout=STOP_TIMEOUT)
            c.remove(force=True, v=True)

    _docker(f"removing container {name}", stop_and_remove)
    return True


def logs_tail(client: Any, name: str, lines: int = 10) -> list[str]:
    """The last ``lines`` log lines of a container (for error messages)."""
    try:
        raw = client.containers.get(name).logs(tail=lines, stdout=True, stderr=True)
    except _DOCKER_ERRORS as exc:
        return [f"(logs unavailable: {str(exc).splitlines()[0] if str(exc) else exc!r})"]
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    return text.splitlines()[-lines:]


def container_state(client: Any, name: str) -> tuple[str, int, int] | None:
    """(state, exit code, restart count) of a container, None when it does not exist."""
    try:
        c = client.containers.get(name)
    except docker.errors.NotFound:
        return None
    except _DOCKER_ERRORS as exc:
        raise ReleaseError(f"inspecting container {name} failed: {exc}") from None
    state = c.attrs.get("State") or {}
    return str(c.status), int(state.get("ExitCode", 0) or 0), int(c.attrs.get("RestartCount", 0))
