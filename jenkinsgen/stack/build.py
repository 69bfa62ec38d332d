"""What ``up`` builds before it starts anything: the plugin bundle and the stack's images.

* **Bundle**: ``--bundle`` (a lock or a directory of archives), else ``plugins.lock`` of the
  stack directory, resolved again from ``plugins.txt`` when it is missing or older than the
  list (as ``make image`` does), downloaded and verified into ``.jenkinsgen/plugins``.
* **Images**, each labelled ``org.jenkinsgen.stack=<project>``: the agent image
  (``AGENT_IMAGE``) when the spec's docker cloud uses this machine's engine; the seed image
  (``RECEIVER_IMAGE``, tagged with this version) when a release block needs the receiver or
  the spec has a seed job, which runs it as ``<registry>/jenkinsgen-seed:<version>`` (tagged so
  too, so nothing has to be pulled); last the controller (``CONTROLLER_IMAGE``) with the
  bundle, the rendered jobs and the casc of :mod:`jenkinsgen.stack.controller`.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jenkinsgen import __version__
from jenkinsgen.bundle import pluginlist, updatecenter
from jenkinsgen.bundle.download import fetch_bytes
from jenkinsgen.bundle.lock import read_lock, write_lock
from jenkinsgen.bundle.resolve import resolve
from jenkinsgen.casc.clouds import LOCAL_HOST, render_agents_casc
from jenkinsgen.docker_errors import ENGINE_ERRORS, engine_error
from jenkinsgen.errors import ImageError, StackError
from jenkinsgen.images import ImageInputs, build_image, plugins_from_bundle, read_wheel
from jenkinsgen.images.build import DEFAULT_REPOSITORY
from jenkinsgen.images.pins import core_pin
from jenkinsgen.images.seed import seed_tag
from jenkinsgen.spec.model import Spec
from jenkinsgen.stack.controller import LOCAL_AGENTS, controller_config
from jenkinsgen.stack.layout import CACHE_DIR, LOCK_FILE, PLUGINS_FILE
from jenkinsgen.stack.settings import Settings
from jenkinsgen.stack.wheel import running_wheel

__all__ = [
    "DEFAULT_PLUGIN_VERSIONS",
    "STACK_LABEL",
    "BuildOptions",
    "build_images",
    "plugin_bundle",
]

Progress = Callable[[str], None]
DEFAULT_PLUGIN_VERSIONS = "https://updates.jenkins.io/current/plugin-versions.json"
#: Images ``up`` builds carry the stack's compose project name under this label.
STACK_LABEL = "org.jenkinsgen.stack"


@dataclass(frozen=True)
class BuildOptions:
    """``up``'s options for the bundle and the images (None: the default)."""

    bundle: Path | None = None
    update_center: str | None = None
    plugin_versions: str | None = DEFAULT_PLUGIN_VERSIONS
    wheel: Path | None = None
    controller_base: str | None = None
    agent_base: str | None = None
    seed_base: str | None = None


def _stale(lock: Path, plugins_txt: Path) -> bool:
    return not lock.exists() or lock.stat().st_mtime < plugins_txt.stat().st_mtime


def plugin_bundle(directory: Path, options: BuildOptions, progress: Progress) -> Path:
    """A directory of verified plugin archives for the controller image."""
    plugins_txt = directory / PLUGINS_FILE
    cache = directory / CACHE_DIR / "plugins"
    wanted = {r.name for r in pluginlist.load(plugins_txt)}
    if options.bundle is not None:
        source = options.bundle
    else:
        source = directory / LOCK_FILE
        if _stale(source, plugins_txt):
            core = core_pin()
            center_url = options.update_center or (
                f"https://updates.jenkins.io/update-center.json?version={core}"
            )
            progress(f"resolving {plugins_txt} for Jenkins {core} into {source}")
            center = updatecenter.load(center_url, options.plugin_versions)
            result = resolve(pluginlist.load(plugins_txt), center, core, fetch=fetch_bytes)
            for line in result.warnings:
                progress(f"security: {line}")
            write_lock(result.lock, source)
    if source.is_file():
        locked = {p.name for p in read_lock(source).plugins}
        lacking = sorted(wanted - locked)
        if lacking:
            raise StackError(
                f"{source} lacks {', '.join(lacking)} of {plugins_txt}: "
                + ("resolve it again" if options.bundle else "remove it, `up` resolves it again")
            )
        progress(f"downloading and verifying the plugins of {source}")
    plugins = plugins_from_bundle(source, cache)
    present = {p.stem for p in plugins.iterdir() if p.suffix in (".jpi", ".hpi")}
    lacking = sorted(wanted - present)
    if lacking:
        raise StackError(f"the plugin bundle {source} lacks {', '.join(lacking)} of {plugins_txt}")
    return plugins


def _build(
    client: Any,
    inputs: ImageInputs,
    tag: str,
    base: str | None,
    project: str,
    progress: Progress,
) -> str:
    progress(f"building the {inputs.kind} image {tag}")
    result = build_image(
        client, inputs, tag, base, progress=progress, labels={STACK_LABEL: project}
    )
    return result.tag


def _tag(client: Any, source: str, target: str) -> None:
    repository, _, version = target.rpartition(":")
    try:
        client.images.get(source).tag(repository, version)
    except ENGINE_ERRORS as exc:
        raise ImageError(f"tagging {source} as {target} failed: {engine_error(exc)}") from exc


def _local_agents(spec: Spec) -> bool:
    return bool(spec.agents and spec.agents.docker and LOCAL_HOST in spec.agents.docker.hosts)


def build_images(
    client: Any,
    directory: Path,
    spec: Spec,
    settings: Settings,
    plugins: Path,
    options: BuildOptions,
    progress: Progress,
) -> dict[str, str]:
    """Build the stack's images; returns what was built (and tagged) by role."""
    from jenkinsgen import render_spec, write_tree
    from jenkinsgen.render.jenkinsfile import seed_image

    project = settings.compose_project_name
    built: dict[str, str] = {}
    if _local_agents(spec):
        built["agent"] = _build(
            client,
            ImageInputs(kind="agent"),
            settings.agent_image,
            options.agent_base,
            project,
            progress,
        )
    releases = any(e.release is not None for e in spec.environments)
    if releases or spec.seed is not None:
        receiver = seed_tag(settings.receiver_image, __version__, DEFAULT_REPOSITORY["seed"])
        with tempfile.TemporaryDirectory(prefix="jenkinsgen-wheel-") as tmp:
            wheel_path = options.wheel or running_wheel(Path(tmp))
            wheel = read_wheel(wheel_path, __version__)
            built["receiver"] = _build(
                client,
                ImageInputs(kind="seed", wheel=wheel),
                receiver,
                options.seed_base,
                project,
                progress,
            )
        if spec.seed is not None:
            reference = seed_image(spec).reference
            if reference != receiver:
                _tag(client, receiver, reference)
                progress(f"tagged {receiver} as {reference} (the seed job's image)")
            built["seed"] = reference
    with tempfile.TemporaryDirectory(prefix="jenkinsgen-stack-render-") as tmp:
        out = Path(tmp) / "out"
        write_tree(render_spec(spec), out)
        clouds = render_agents_casc(spec, LOCAL_AGENTS)
        if clouds is not None:  # the local engine's agents: host network, socket group
            (out / "casc" / "agents.yaml").write_text(clouds, encoding="utf-8")
        inputs = ImageInputs(
            kind="controller",
            plugins_dir=plugins,
            jobs_dir=out,
            controller=controller_config(spec, settings),
        )
        built["controller"] = _build(
            client, inputs, settings.controller_image, options.controller_base, project, progress
        )
    return built
