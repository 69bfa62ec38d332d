"""``jenkinsgen up DIR`` and ``jenkinsgen down DIR``: one stack directory, run by compose.

``up`` reads and checks every file of the stack before it builds or starts anything
(:func:`load_stack`), then builds the bundle and images (:mod:`jenkinsgen.stack.build`),
runs ``compose up -d`` and waits until every part answers (:mod:`jenkinsgen.stack.ready`).
``down`` runs ``compose down``: containers go, volumes (Jenkins home, registry data, release
state) stay unless ``volumes`` is asked for, which also removes the apps the receiver released
(their state goes with the volume).
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jenkinsgen.docker_errors import ENGINE_ERRORS, engine_error
from jenkinsgen.errors import StackError
from jenkinsgen.images.pins import plugin_pins
from jenkinsgen.spec import Spec, load_spec
from jenkinsgen.stack.build import BuildOptions, build_images, plugin_bundle
from jenkinsgen.stack.checks import check_compose, check_plugins, check_spec
from jenkinsgen.stack.compose import (
    CONTROLLER,
    RECEIVER,
    REGISTRY,
    SPEC_DIGEST_VARIABLE,
    SPEC_IN_CONTAINER,
    proxy_service,
)
from jenkinsgen.stack.controller import ADMIN_USER, unfilled_credentials
from jenkinsgen.stack.layout import (
    ADMIN_PASSWORD,
    COMPOSE_FILE,
    DEPLOY_TOKEN,
    ENV_FILE,
    PLUGINS_FILE,
    REGISTRY_HTPASSWD,
    REGISTRY_PASSWORD,
    REGISTRY_USER,
    SPEC_FILE,
)
from jenkinsgen.stack.ready import Part, http_probe, proxy_probe, wait_ready
from jenkinsgen.stack.runner import Compose
from jenkinsgen.stack.scaffold import docker_socket_gid
from jenkinsgen.stack.secrets import htpasswd_matches, read_secret
from jenkinsgen.stack.settings import Settings, read_settings

__all__ = [
    "Endpoint",
    "Stack",
    "StackDir",
    "UpResult",
    "down_stack",
    "load_stack",
    "open_stack_dir",
    "released_folder",
    "up_stack",
]

Progress = Callable[[str], None]
RELEASE_FOLDER_LABEL = "io.jenkinsgen.release.folder"


@dataclass(frozen=True)
class StackDir:
    """A stack directory and its settings (enough to run compose on it)."""

    directory: Path
    settings: Settings

    @property
    def compose_file(self) -> Path:
        return self.directory / COMPOSE_FILE

    @property
    def project(self) -> str:
        return self.settings.compose_project_name

    def run(self, compose: Compose, args: list[str], progress: Progress | None = None) -> None:
        spec = self.directory / SPEC_FILE
        digest = hashlib.sha256(spec.read_bytes()).hexdigest() if spec.is_file() else ""
        compose.run(
            self.directory,
            self.project,
            self.compose_file,
            args,
            env={SPEC_DIGEST_VARIABLE: digest},
            progress=progress,
        )


@dataclass(frozen=True)
class Stack(StackDir):
    """A stack directory whose files were read and found to fit together."""

    spec: Spec


@dataclass(frozen=True)
class Endpoint:
    """Where a part of the stack answers, and how to get in."""

    part: str
    where: str
    note: str = ""


@dataclass
class UpResult:
    images: dict[str, str]
    endpoints: list[Endpoint]
    took: dict[str, float]
    unfilled_credentials: list[str] = field(default_factory=list)


def _need(directory: Path, name: str) -> Path:
    path = directory / name
    if not path.is_file():
        raise StackError(f"{path} is missing: `jenkinsgen init {directory}` writes it")
    return path


def open_stack_dir(directory: Path) -> StackDir:
    """The stack directory and its settings, without reading the spec (``down``)."""
    if not directory.is_dir():
        raise StackError(f"{directory} is not a stack directory: run `jenkinsgen init {directory}`")
    settings = read_settings(_need(directory, ENV_FILE))
    _need(directory, COMPOSE_FILE)
    return StackDir(directory, settings)


def load_stack(directory: Path) -> Stack:
    """Read the stack in ``directory`` and check everything ``up`` relies on (the spec against
    the stack, plugins, compose services, secrets, the socket's group)."""
    base = open_stack_dir(directory)
    settings = base.settings
    spec_path = _need(directory, SPEC_FILE)
    spec = load_spec(spec_path)
    stack = Stack(directory, settings, spec)
    check_spec(spec, spec_path, settings)
    check_plugins(spec, _need(directory, PLUGINS_FILE), plugin_pins())
    check_compose(spec, _need(directory, COMPOSE_FILE))
    password = read_secret(directory / REGISTRY_PASSWORD.path)
    htpasswd = read_secret(directory / REGISTRY_HTPASSWD.path)
    if not htpasswd_matches(htpasswd, REGISTRY_USER, password):
        raise StackError(
            f"{directory / REGISTRY_HTPASSWD.path} does not hold {REGISTRY_USER} with the password "
            f"of {REGISTRY_PASSWORD.path}: remove it, `jenkinsgen init {directory}` writes it anew"
        )
    gid = docker_socket_gid(settings.docker_socket)
    if gid != settings.docker_gid:
        raise StackError(
            f"{directory / ENV_FILE}: DOCKER_GID={settings.docker_gid}, but "
            f"{settings.docker_socket} belongs to group {gid} now: set DOCKER_GID={gid}"
        )
    return stack


def _probe_host(settings: Settings) -> str:
    """Where this machine reaches the servers (a wildcard bind answers on loopback)."""
    address = settings.bind_address
    if address in ("0.0.0.0", "::"):
        return "127.0.0.1" if address == "0.0.0.0" else "[::1]"
    return f"[{address}]" if ":" in address else address


def _parts(stack: Stack, client: Any) -> tuple[list[Part], list[Endpoint]]:
    settings, spec = stack.settings, stack.spec
    host = _probe_host(settings)
    secrets = stack.directory / "secrets"
    parts = [
        Part(
            CONTROLLER,
            settings.jenkins_url,
            http_probe(f"http://{host}:{settings.jenkins_port}/login", 200),
        ),
        Part(
            REGISTRY,
            settings.registry,
            http_probe(f"http://{host}:{settings.registry_port}/v2/", 401),
        ),
    ]
    endpoints = [
        Endpoint(
            "jenkins",
            settings.jenkins_url,
            f"user {ADMIN_USER}, password in {secrets / ADMIN_PASSWORD.file}",
        ),
        Endpoint(
            "registry",
            settings.registry,
            f"user {REGISTRY_USER}, password in {secrets / REGISTRY_PASSWORD.file}",
        ),
    ]
    releases = [e for e in spec.environments if e.release is not None]
    if releases:
        receiver = f"http://{host}:{settings.receiver_port}"
        parts.append(Part(RECEIVER, settings.receiver_url, http_probe(f"{receiver}/healthz", 200)))
        endpoints.append(
            Endpoint("receiver", settings.receiver_url, f"token in {secrets / DEPLOY_TOKEN.file}")
        )
        for env in releases:
            assert env.release is not None
            name = proxy_service(env.name)
            probe = proxy_probe(client, stack.project, RECEIVER, SPEC_IN_CONTAINER, env.name)
            parts.append(Part(name, f"http://{env.release.proxy.listen}/", probe))
            endpoints.append(
                Endpoint(env.name, f"http://{env.release.proxy.listen}/", "HAProxy, by Host header")
            )
    return parts, endpoints


def up_stack(
    stack: Stack,
    options: BuildOptions,
    compose: Compose,
    client: Any,
    progress: Progress,
    *,
    timeout: float = 300.0,
) -> UpResult:
    """Build the stack's images, start it with compose and wait until every part answers."""
    plugins = plugin_bundle(stack.directory, options, progress)
    images = build_images(
        client, stack.directory, stack.spec, stack.settings, plugins, options, progress
    )
    progress(f"starting {stack.project} with {compose.name} {compose.version}")
    stack.run(compose, ["up", "--detach", "--remove-orphans"], progress)
    parts, endpoints = _parts(stack, client)
    took = wait_ready(client, stack.project, parts, timeout, progress)
    return UpResult(images, endpoints, took, unfilled_credentials(stack.spec))


def released_folder(spec: Spec) -> str | None:
    """The folder label of the apps the spec's receiver releases (None without releases)."""
    return spec.folder if any(e.release is not None for e in spec.environments) else None


def down_stack(
    stack: StackDir,
    compose: Compose,
    progress: Progress,
    *,
    volumes: bool = False,
    client: Any | None = None,
    folder: str | None = None,
) -> list[str]:
    """Stop the stack (compose down); with ``volumes`` also its volumes and, given the
    ``folder`` they are labelled with, the apps the receiver released. Returns the names of
    the app containers removed."""
    args = ["down", "--remove-orphans", *(["--volumes"] if volumes else [])]
    stack.run(compose, args, progress)
    removed: list[str] = []
    if not volumes or client is None or folder is None:
        return removed
    label = f"{RELEASE_FOLDER_LABEL}={folder}"
    try:
        for container in client.containers.list(all=True, filters={"label": label}):
            with contextlib.suppress(*ENGINE_ERRORS):
                container.remove(force=True, v=True)
                removed.append(str(container.name))
    except ENGINE_ERRORS as exc:
        raise StackError(f"removing the released apps failed: {engine_error(exc)}") from None
    return removed
