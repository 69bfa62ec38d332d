"""What ``up`` checks before it changes anything: that the files of the stack directory fit
together. Spec problems are located (``FILE:LINE:COL: path: message``), like the loader's.

* Release environments run through the stack's receiver and HAProxy containers: their Docker
  engine is this machine's (the socket the receiver mounts), and their configuration, admin
  socket and state live in the release volume (``/var/lib/jenkinsgen/...``).
* The docker cloud on this machine's engine starts the agent image ``up`` builds
  (``AGENT_IMAGE``): ``agents.image`` must name it.
* ``plugins.txt`` holds every plugin the spec needs; ``compose.yaml`` has a service for every
  part the spec needs and names secret files that exist.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from jenkinsgen.bundle.pluginlist import load as load_plugin_list
from jenkinsgen.casc.clouds import LOCAL_HOST
from jenkinsgen.errors import SpecError, SpecProblem, StackError
from jenkinsgen.spec.model import Spec
from jenkinsgen.spec.nodes import get, items
from jenkinsgen.stack.compose import proxy_service, services_of
from jenkinsgen.stack.example import RELEASE_ROOT
from jenkinsgen.stack.plugins import needed_plugins
from jenkinsgen.stack.settings import Settings

__all__ = ["check_compose", "check_plugins", "check_spec"]

_FIX = "remove it and run `jenkinsgen init {dir}` to write it for the spec again"


def _node(root: yaml.Node | None, path: list[str | int]) -> yaml.Node | None:
    node = root
    for part in path:
        node = items(node)[part] if isinstance(part, int) else get(node, part)
        if node is None:
            return None
    return node


def _problem(
    source: str, root: yaml.Node | None, path: list[str | int], message: str
) -> SpecProblem:
    """A problem located at the deepest node of ``path`` that exists."""
    node = None
    for cut in range(len(path), -1, -1):
        node = _node(root, path[:cut])
        if node is not None:
            break
    mark = node.start_mark if node is not None else None
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    text = ".".join(f"[{p}]" if isinstance(p, int) else p for p in path).replace(".[", "[")
    return SpecProblem(source, line, column, text, message)


def _inside_release_root(path: str) -> bool:
    pure = PurePosixPath(path)
    return (
        ".." not in pure.parts and pure.is_relative_to(RELEASE_ROOT) and str(pure) != RELEASE_ROOT
    )


def check_spec(spec: Spec, spec_path: Path, settings: Settings) -> None:
    """Raise SpecError (every problem, located) when the spec does not fit the stack."""
    try:
        root = yaml.compose(spec_path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:  # loaded a moment ago
        raise StackError(f"{spec_path}: cannot read the spec again: {exc}") from None
    source = str(spec_path)
    problems: list[SpecProblem] = []
    for i, env in enumerate(spec.environments):
        release = env.release
        if release is None:
            continue
        at: list[str | int] = ["environments", i, "release"]
        if release.docker_host != LOCAL_HOST:
            why = (
                f"in a jenkinsgen stack, releases run on this machine's engine ({LOCAL_HOST}),"
                " the socket the receiver mounts"
            )
            problems.append(_problem(source, root, [*at, "docker_host"], why))
        for key, value in (
            (["proxy", "config"], release.proxy.config),
            (["proxy", "admin_socket"], release.proxy.admin_socket),
            (["state_dir"], release.state_dir),
        ):
            if not _inside_release_root(value):
                why = (
                    f"{value!r}: in a jenkinsgen stack, release files live in the volume the"
                    f" receiver and HAProxy share: use a path below {RELEASE_ROOT}/"
                )
                problems.append(_problem(source, root, [*at, *key], why))
    agents = spec.agents
    if (
        agents is not None
        and agents.docker is not None
        and LOCAL_HOST in agents.docker.hosts
        and agents.image != settings.agent_image
    ):
        why = (
            f"{agents.image!r} is not the agent image `jenkinsgen up` builds: AGENT_IMAGE in .env"
            f" is {settings.agent_image!r}; name the same image in both"
        )
        problems.append(_problem(source, root, ["agents", "image"], why))
    if problems:
        raise SpecError(problems)


def check_plugins(spec: Spec, plugins_txt: Path, pins: dict[str, str]) -> None:
    """Raise StackError when ``plugins.txt`` lacks a plugin the spec needs."""
    listed = {request.name for request in load_plugin_list(plugins_txt)}
    missing = [p for p in needed_plugins(spec, pins) if p.name not in listed]
    if missing:
        lines = "; ".join(f"{p.name}:{p.version} ({p.why})" for p in missing)
        raise StackError(f"{plugins_txt}: the spec needs plugins it does not list: {lines}")


def _compose_document(path: Path) -> dict[str, Any]:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise StackError(f"{path}: cannot read: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise StackError(f"{where}: not YAML: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(document, dict) or not isinstance(document.get("services"), dict):
        raise StackError(f"{path}: not a compose file (no services:)")
    return document


def check_compose(spec: Spec, compose_file: Path) -> list[str]:
    """The compose file's service names; StackError when it lacks one the spec needs or
    names a secret file that is missing."""
    document = _compose_document(compose_file)
    services = document["services"]
    fix = _FIX.format(dir=compose_file.parent)
    for name in services_of(spec):
        if name not in services:
            releases = [e.name for e in spec.environments if e.release is not None]
            owners = [e for e in releases if name in ("receiver", proxy_service(e))]
            part = f"the release block of {owners[0]}" if owners else "the stack"
            raise StackError(f"{compose_file}: no service {name!r} for {part}: {fix}")
    for name, entry in (document.get("secrets") or {}).items():
        file = entry.get("file") if isinstance(entry, dict) else None
        if isinstance(file, str) and not (compose_file.parent / file).is_file():
            raise StackError(
                f"{compose_file}: secret {name}: {compose_file.parent / file} is missing "
                f"(`jenkinsgen init {compose_file.parent}` writes the missing secrets)"
            )
    return list(services)
