"""``jenkinsgen init DIR``: write a working stack directory, never replacing a file.

Everything is decided before anything is written: an existing ``.env`` gives the settings
(ports, images) for the files still missing, an existing spec gives ``plugins.txt`` and
``compose.yaml`` (an invalid one is reported, located, and nothing is written). Each file
then appears whole or not at all (:func:`jenkinsgen.atomic.write_new`), secrets with mode
0600 in a 0700 ``secrets/``; a file that exists is kept and reported as kept, so running
``init`` again fills in exactly what is missing.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from jenkinsgen.atomic import write_new
from jenkinsgen.errors import StackError
from jenkinsgen.images.pins import plugin_pins
from jenkinsgen.spec import Spec, load_spec, load_spec_text
from jenkinsgen.stack.compose import render_compose
from jenkinsgen.stack.example import example_spec
from jenkinsgen.stack.layout import (
    CACHE_DIR,
    COMPOSE_FILE,
    ENV_FILE,
    GITIGNORE_FILE,
    PLUGINS_FILE,
    REGISTRY_HTPASSWD,
    REGISTRY_PASSWORD,
    REGISTRY_USER,
    SECRETS,
    SECRETS_DIR,
    SPEC_FILE,
)
from jenkinsgen.stack.plugins import render_plugins_txt
from jenkinsgen.stack.secrets import htpasswd_line, new_secret, read_secret
from jenkinsgen.stack.settings import (
    DEFAULT_PORTS,
    Ports,
    Settings,
    default_settings,
    read_settings,
    render_env,
)

__all__ = ["InitOptions", "InitReport", "docker_socket_gid", "init_stack"]


@dataclass(frozen=True)
class InitOptions:
    """What ``init`` asks about a new stack (only used for files it writes)."""

    bind_address: str = "127.0.0.1"
    ports: Ports = DEFAULT_PORTS
    docker_socket: str = "/var/run/docker.sock"
    folder: str = "delivery"


@dataclass
class InitReport:
    """Paths relative to the stack directory: written now, or there already and kept."""

    created: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def docker_socket_gid(path: str) -> int:
    """The group id of the Docker socket at ``path`` (what agents need to reach it)."""
    try:
        info = os.stat(path)
    except OSError as exc:
        raise StackError(
            f"cannot read the group of the Docker socket {path}: {exc.strerror} "
            "(is the Docker engine installed and running? give its socket with --docker-socket)"
        ) from None
    if not stat.S_ISSOCK(info.st_mode):
        raise StackError(f"{path} is not a socket (give the Docker engine's with --docker-socket)")
    return info.st_gid


def _settings(directory: Path, options: InitOptions) -> Settings:
    env = directory / ENV_FILE
    if env.exists():
        return read_settings(env)
    gid = docker_socket_gid(options.docker_socket)
    return default_settings(
        directory, options.bind_address, options.ports, options.docker_socket, gid
    )


def _spec(directory: Path, settings: Settings, options: InitOptions) -> tuple[Spec, str | None]:
    """The spec the other files follow, and its text when it is to be written."""
    path = directory / SPEC_FILE
    if path.exists():
        return load_spec(path), None
    text = example_spec(settings, options.ports, options.folder)
    return load_spec_text(text, str(path)), text


def _secrets(directory: Path) -> dict[str, str]:
    """The secret files to write (relative path -> content)."""
    out: dict[str, str] = {}
    password_path = directory / REGISTRY_PASSWORD.path
    htpasswd_missing = not (directory / REGISTRY_HTPASSWD.path).exists()
    if not password_path.exists() and not htpasswd_missing:
        raise StackError(
            f"{directory / REGISTRY_HTPASSWD.path} holds the hash of a registry password that is "
            f"gone ({REGISTRY_PASSWORD.path}): remove it too, and init writes both anew"
        )
    for secret in SECRETS:
        if secret is REGISTRY_HTPASSWD or (directory / secret.path).exists():
            continue
        out[secret.path] = new_secret() + "\n"
    if htpasswd_missing:
        password = out.get(REGISTRY_PASSWORD.path) or read_secret(password_path)
        out[REGISTRY_HTPASSWD.path] = htpasswd_line(REGISTRY_USER, password.strip())
    return out


def _loose_secrets(directory: Path) -> list[str]:
    warnings = []
    for secret in SECRETS:
        path = directory / secret.path
        if path.is_file() and stat.S_IMODE(path.stat().st_mode) & 0o077:
            mode = oct(stat.S_IMODE(path.stat().st_mode))[2:]
            warnings.append(f"{path} is readable by others (mode {mode}): chmod 600 it")
    return warnings


def init_stack(directory: Path, options: InitOptions | None = None) -> InitReport:
    """Write what is missing of a stack in ``directory`` (created when missing)."""
    options = options or InitOptions()
    try:
        directory.resolve()
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symbolic link loop
        raise StackError(f"{directory}: {exc}") from None
    if directory.exists() and not directory.is_dir():
        raise StackError(f"{directory} exists and is not a directory")
    settings = _settings(directory, options)
    spec, spec_text = _spec(directory, settings, options)
    planned: dict[str, tuple[str, int | None]] = {}
    if spec_text is not None:
        planned[SPEC_FILE] = (spec_text, None)
    if not (directory / PLUGINS_FILE).exists():
        planned[PLUGINS_FILE] = (render_plugins_txt(spec, plugin_pins(), SPEC_FILE), None)
    if not (directory / COMPOSE_FILE).exists():
        planned[COMPOSE_FILE] = (render_compose(spec), None)
    if not (directory / ENV_FILE).exists():
        planned[ENV_FILE] = (render_env(settings), None)
    if not (directory / GITIGNORE_FILE).exists():
        planned[GITIGNORE_FILE] = (_GITIGNORE, None)
    for rel, text in _secrets(directory).items():
        planned[rel] = (text, 0o600)
    report = InitReport()
    try:
        directory.mkdir(parents=True, exist_ok=True)
        secrets_dir = directory / SECRETS_DIR
        if not secrets_dir.exists():
            secrets_dir.mkdir(mode=0o700)
            secrets_dir.chmod(0o700)
        for rel in _order():
            if rel in planned:
                text, mode = planned[rel]
                write_new(directory / rel, text, mode)
                report.created.append(rel)
            else:
                report.kept.append(rel)
    except FileExistsError as exc:
        raise StackError(f"{exc.filename}: appeared while init ran; run init again") from None
    except OSError as exc:
        where = exc.filename or directory
        raise StackError(f"{where}: cannot write: {exc.strerror}") from None
    report.warnings = _loose_secrets(directory)
    return report


_GITIGNORE = f"""\
# Written by `jenkinsgen init`: the secrets never go into a repository, nor the plugin cache.
/{SECRETS_DIR}/
/{CACHE_DIR}/
"""


def _order() -> list[str]:
    files = [SPEC_FILE, PLUGINS_FILE, COMPOSE_FILE, ENV_FILE, GITIGNORE_FILE]
    return [*files, *(s.path for s in SECRETS)]
