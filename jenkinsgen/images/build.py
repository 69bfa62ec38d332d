"""Build and push the controller, agent and seed images through the Docker SDK.

Docker errors are converted here, where they enter our code: a failed build or push raises
:class:`~jenkinsgen.errors.ImageError` (one line) carrying the build or push log so far. That
includes an engine connection that breaks off in the middle of a streamed answer, which the
Docker SDK does not wrap (``requests``, ``urllib3`` and ``http.client`` errors reach us).
Progress lines are streamed to a callback as they arrive. Registry credentials come from the
environment (``JENKINSGEN_REGISTRY_USERNAME`` / ``JENKINSGEN_REGISTRY_PASSWORD``) or, when
those are unset, from the Docker client's own config (``~/.docker/config.json``); they are
never printed.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker

from jenkinsgen.bundle.download import download
from jenkinsgen.bundle.lock import read_lock
from jenkinsgen.docker_errors import ENGINE_ERRORS, engine_error
from jenkinsgen.errors import ImageError
from jenkinsgen.images.context import ImageInputs, Kind, assemble_context
from jenkinsgen.images.seed import seed_tag
from jenkinsgen.spec.model import SEED_IMAGE

__all__ = [
    "BASE_ARG",
    "DEFAULT_REPOSITORY",
    "BuildResult",
    "Progress",
    "build_image",
    "docker_client",
    "plugins_from_bundle",
    "push_image",
    "push_reference",
    "registry_auth",
]

Progress = Callable[[str], None]

#: The Dockerfile ARG each image takes its base from (``--base``).
BASE_ARG: dict[Kind, str] = {
    "controller": "JENKINS_BASE",
    "agent": "AGENT_BASE",
    "seed": "SEED_BASE",
}
#: The seed image's repository is the name the spec's default expects under a registry
#: (``<defaults.registry>/jenkinsgen-seed``), so ``--push REGISTRY`` lands where it looks.
DEFAULT_REPOSITORY: dict[Kind, str] = {
    "controller": "jenkinsgen/controller",
    "agent": "jenkinsgen/agent",
    "seed": SEED_IMAGE,
}
LABEL_KIND = "org.jenkinsgen.image"
#: The jenkinsgen version a seed image carries.
LABEL_VERSION = "org.jenkinsgen.version"
_PATH_PART = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_REGISTRY = re.compile(
    rf"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]{{1,5}})?(?:/{_PATH_PART})*"
)
USERNAME_ENV = "JENKINSGEN_REGISTRY_USERNAME"
PASSWORD_ENV = "JENKINSGEN_REGISTRY_PASSWORD"


@dataclass(frozen=True)
class BuildResult:
    """The built image: its id, the tag given to it and the build log."""

    image_id: str
    tag: str
    log: str


def docker_client() -> Any:
    """A Docker client from the environment (DOCKER_HOST etc.), or one clear error."""
    client = None
    try:
        client = docker.from_env()
        client.ping()
    except ENGINE_ERRORS as exc:
        if client is not None:
            client.close()  # its connection pool would otherwise leak a socket
        raise ImageError(f"cannot reach the Docker engine: {engine_error(exc)}") from exc
    return client


def plugins_from_bundle(bundle: Path, cache: Path) -> Path:
    """Directory of plugin archives for ``--bundle``: a directory is used as it is; a
    ``plugins.lock`` is downloaded and verified into ``cache`` by ``jenkinsgen.bundle``."""
    if bundle.is_dir():
        return bundle
    if not bundle.is_file():
        raise ImageError(f"plugin bundle {bundle} does not exist")
    lock = read_lock(bundle)
    cache.mkdir(parents=True, exist_ok=True)
    download(lock, cache, prune=True)
    return cache


def _stream(
    chunks: Iterable[Mapping[str, Any]], progress: Progress | None, lines: list[str]
) -> tuple[str, str]:
    """Collect a build/push stream into ``lines``; returns (log, image id) or raises with
    the log so far (an engine error while reading leaves what came before in ``lines``)."""
    image_id = ""
    failure = ""
    for chunk in chunks:
        text = str(chunk.get("stream") or "")
        if not text and "status" in chunk:
            status = str(chunk["status"])
            detail = f" {chunk['id']}" if chunk.get("id") else ""
            text = f"{status}{detail}\n" if "progress" not in chunk else ""
        if text:
            lines.append(text)
            if progress is not None:
                for line in text.splitlines():
                    if line.strip():
                        progress(line)
        aux = chunk.get("aux")
        if isinstance(aux, Mapping) and "ID" in aux:
            image_id = str(aux["ID"])
        if "error" in chunk:
            error_detail = chunk.get("errorDetail")
            message = str(chunk["error"])
            if isinstance(error_detail, Mapping) and error_detail.get("message"):
                message = str(error_detail["message"])
            message = message.strip()
            lines.append(message + "\n")
            # Keep reading to the end of the stream so the connection is released.
            failure = failure or (message.splitlines()[0] if message else "failed")
    if failure:
        raise ImageError(failure, "".join(lines))
    return "".join(lines), image_id


def build_image(
    client: Any,
    inputs: ImageInputs,
    tag: str | None = None,
    base: str | None = None,
    *,
    no_cache: bool = False,
    progress: Progress | None = None,
    save_context: Path | None = None,
    labels: Mapping[str, str] | None = None,
) -> BuildResult:
    """Assemble the context for ``inputs.kind`` and build it; returns the image id and log.

    ``base`` overrides the Dockerfile's base image ARG; ``labels`` are added to the image's.
    Builds use host networking (package installs during the build need no bridge) and remove
    intermediate containers.
    """
    kind = inputs.kind
    labels = {**(labels or {}), LABEL_KIND: kind}
    if inputs.wheel is not None:
        labels[LABEL_VERSION] = inputs.wheel.version
        tag = seed_tag(tag, inputs.wheel.version, DEFAULT_REPOSITORY[kind])
    tag = tag or f"{DEFAULT_REPOSITORY[kind]}:latest"
    buildargs = {BASE_ARG[kind]: base} if base else {}
    lines: list[str] = []
    with tempfile.TemporaryDirectory(prefix=f"jenkinsgen-{kind}-context-") as tmp:
        context = assemble_context(inputs, save_context or Path(tmp) / "context")
        try:
            chunks = client.api.build(
                path=str(context),
                tag=tag,
                buildargs=buildargs,
                labels=labels,
                network_mode="host",
                rm=True,
                forcerm=True,
                nocache=no_cache,
                decode=True,
            )
            log, image_id = _stream(chunks, progress, lines)
        except ImageError as exc:
            raise ImageError(f"building the {kind} image {tag} failed: {exc}", exc.log) from exc
        except ENGINE_ERRORS as exc:
            why = engine_error(exc)
            raise ImageError(
                f"building the {kind} image {tag} failed: {why}", "".join(lines)
            ) from exc
    if not image_id:
        try:
            image_id = str(client.images.get(tag).id)
        except ENGINE_ERRORS as exc:
            raise ImageError(f"the {kind} image {tag} was not created", log) from exc
    return BuildResult(image_id=image_id, tag=tag, log=log)


def push_reference(tag: str, registry: str) -> str:
    """Where ``--push REGISTRY`` sends ``tag``: REGISTRY/<last path part of the repo>:<tag>.

    REGISTRY is checked here (``host[:port][/path]``, path in Docker's lowercase repository
    syntax) so that a typo is reported before a build, not after it."""
    name, _, version = tag.rpartition(":")
    if not name or "/" in version:
        name, version = tag, "latest"
    registry = registry.rstrip("/")
    if not _REGISTRY.fullmatch(registry):
        raise ImageError(
            f"invalid registry {registry!r}: use host[:port][/path], path in lowercase letters, "
            "digits, '.', '_' and '-'"
        )
    return f"{registry}/{name.rsplit('/', 1)[-1]}:{version}"


def registry_auth(environ: Mapping[str, str] | None = None) -> dict[str, str] | None:
    """Credentials from the environment, or None to let Docker use its config file."""
    env = os.environ if environ is None else environ
    username, password = env.get(USERNAME_ENV), env.get(PASSWORD_ENV)
    if not username and not password:
        return None
    if not username or not password:
        raise ImageError(f"set both {USERNAME_ENV} and {PASSWORD_ENV}, or neither")
    return {"username": username, "password": password}


def push_image(
    client: Any,
    tag: str,
    registry: str,
    *,
    auth: dict[str, str] | None = None,
    progress: Progress | None = None,
) -> str:
    """Tag ``tag`` for ``registry`` and push it; returns the pushed reference."""
    target = push_reference(tag, registry)
    repository, _, version = target.rpartition(":")
    lines: list[str] = []
    try:
        client.images.get(tag).tag(repository, version)
        chunks = client.api.push(
            repository, tag=version, auth_config=auth, stream=True, decode=True
        )
        _stream(chunks, progress, lines)
    except ImageError as exc:
        raise ImageError(f"pushing {target} failed: {exc}", exc.log) from exc
    except ENGINE_ERRORS as exc:
        why = _no_secret(engine_error(exc), auth)
        raise ImageError(f"pushing {target} failed: {why}", "".join(lines)) from exc
    return target


def _no_secret(text: str, auth: dict[str, str] | None) -> str:
    if auth and auth.get("password"):
        text = text.replace(auth["password"], "***")
    return text
