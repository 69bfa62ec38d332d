"""Assemble the Docker build context of the controller, agent or seed image in a directory.

The sources live in ``images/`` (``controller/``, ``agent/``, ``seed/`` and ``common/`` for the
entrypoint and tool installer the controller and agent images share: copied into each context
here, never duplicated in git).
The controller context also gets its start step, ``plugins/`` (the bundle), ``casc/``,
``jobs/`` and ``jobs.sha256`` (see :mod:`jenkinsgen.images.baked`); the
seed context gets ``wheel/`` (jenkinsgen itself), ``requirements.txt`` (its pinned
dependencies, see :mod:`jenkinsgen.images.seed`) and the entrypoint (which the release
receiver of ``jenkinsgen up`` runs it with; the image's own ENTRYPOINT stays empty).
Every file is written with a fixed mode and in sorted order, so the same inputs give the same
context and Docker reuses its cached layers.
"""

from __future__ import annotations

import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from jenkinsgen.casc.controller import ControllerConfig
from jenkinsgen.errors import ImageError
from jenkinsgen.images.baked import admin_password_source, bake_casc, bake_jobs, render_output
from jenkinsgen.images.seed import SeedWheel, pinned_requirements

__all__ = ["ENTRYPOINT", "ImageInputs", "Kind", "assemble_context", "images_root"]

Kind = Literal["controller", "agent", "seed"]
ENTRYPOINT = "jenkinsgen-entrypoint"
#: Installs the Docker CLI, setpriv and tini when a base lacks them (both images run it).
INSTALL_TOOLS = "install-tools"
#: The controller image's own start step (admin password check, baked jobs), controller only.
START = "jenkinsgen-controller-start"
PLUGIN_SUFFIXES = (".jpi", ".hpi")


def images_root() -> Path:
    """``images/`` of the checkout, or its copy inside an installed wheel."""
    here = Path(__file__).resolve().parent
    for candidate in (here, here.parent.parent / "images"):
        if (candidate / "controller" / "Dockerfile").is_file():
            return candidate
    raise ImageError(f"image sources (images/controller/Dockerfile) not found near {here}")


@dataclass(frozen=True)
class ImageInputs:
    """Everything a controller, agent or seed context is made from (``wheel``: seed only)."""

    kind: Kind
    plugins_dir: Path | None = None
    jobs_dir: Path | None = None
    controller: ControllerConfig = field(default_factory=ControllerConfig)
    wheel: SeedWheel | None = None


def _copy_file(src: Path, dest: Path, mode: int) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dest)
    dest.chmod(mode)


def _check_plugin(path: Path) -> None:
    """A plugin archive is a zip holding META-INF/MANIFEST.MF; anything else is refused."""
    try:
        with zipfile.ZipFile(path) as archive:
            archive.getinfo("META-INF/MANIFEST.MF")
    except (zipfile.BadZipFile, KeyError, OSError) as exc:
        raise ImageError(f"{path}: not a Jenkins plugin archive ({exc})") from exc


def _copy_plugins(plugins_dir: Path, dest: Path) -> int:
    if not plugins_dir.is_dir():
        raise ImageError(f"plugin bundle directory {plugins_dir} does not exist")
    files = sorted(p for p in plugins_dir.iterdir() if p.suffix in PLUGIN_SUFFIXES and p.is_file())
    names: set[str] = set()
    for src in files:
        _check_plugin(src)
        name = src.stem
        if name in names:
            raise ImageError(f"{plugins_dir}: plugin {name!r} is there as both .jpi and .hpi")
        names.add(name)
        _copy_file(src, dest / f"{name}.jpi", 0o644)
    return len(files)


def _seed_context(wheel: SeedWheel | None, root: Path, dest: Path) -> Path:
    if wheel is None:
        raise ImageError("the seed image needs --wheel: a jenkinsgen wheel of this version")
    _copy_file(root / "common" / ENTRYPOINT, dest / ENTRYPOINT, 0o755)
    (dest / "requirements.txt").write_text("\n".join(pinned_requirements(wheel.requires)) + "\n")
    (dest / "requirements.txt").chmod(0o644)
    _copy_file(wheel.path, dest / "wheel" / wheel.path.name, 0o644)
    return dest


def assemble_context(inputs: ImageInputs, dest: Path) -> Path:
    """Write the build context for ``inputs.kind`` into the empty directory ``dest``."""
    root = images_root()
    dest.mkdir(parents=True, exist_ok=True)
    if any(dest.iterdir()):
        raise ImageError(f"build context directory {dest} is not empty")
    _copy_file(root / inputs.kind / "Dockerfile", dest / "Dockerfile", 0o644)
    (dest / ".dockerignore").write_text("")
    if inputs.kind == "seed":
        return _seed_context(inputs.wheel, root, dest)
    _copy_file(root / "common" / ENTRYPOINT, dest / ENTRYPOINT, 0o755)
    _copy_file(root / "common" / INSTALL_TOOLS, dest / INSTALL_TOOLS, 0o755)
    if inputs.kind == "agent":
        return dest
    _copy_file(root / "controller" / START, dest / START, 0o755)
    plugins = dest / "plugins"
    plugins.mkdir()
    if inputs.plugins_dir is not None:
        _copy_plugins(inputs.plugins_dir, plugins)
    out = render_output(inputs.jobs_dir) if inputs.jobs_dir is not None else None
    (dest / "admin-password").write_text(admin_password_source(inputs.controller))
    bake_casc(inputs.controller, out, dest)
    bake_jobs(out, dest)
    return dest
