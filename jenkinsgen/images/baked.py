"""What the controller image bakes in from ``jenkinsgen render``'s output and its own options.

``--jobs OUT`` takes everything render wrote there:

* ``OUT/jobs/**`` goes into ``jobs.tar`` (one archive: a Docker layer of one file builds in
  seconds where 35,000 files take minutes) with ``jobs.sha256``, one ``SHA256  PATH`` line per
  file, sorted; both land in ``/usr/share/jenkinsgen``. The image's start step
  (``jenkinsgen-controller-start``) installs a file into ``$JENKINS_HOME/jobs`` when the home
  lacks it or when its checksum differs from the one the previous image installed, so a
  rebuilt image's job changes reach an existing home while later edits by ``jenkinsgen apply``
  survive restarts.
* ``OUT/casc/**.yaml`` goes to ``casc/rendered/`` beside the image's own ``casc/image/
  controller.yaml``; ``CASC_JENKINS_CONFIG`` names the ``casc`` directory, from which
  Configuration-as-Code loads every ``.yaml``/``.yml`` file (recursively, sorted, hidden ones
  skipped) and merges them, so the clouds of ``casc/agents.yaml`` load with the rest.

``admin-password`` tells the start step where the casc's admin password comes from
(``env NAME`` or ``file PATH``), so it can refuse to start without one.
"""

from __future__ import annotations

import hashlib
import io
import re
import tarfile
from pathlib import Path

from jenkinsgen.casc.controller import ControllerConfig, render_controller_casc
from jenkinsgen.errors import ImageError

__all__ = [
    "CASC_IMAGE",
    "CASC_RENDERED",
    "JOBS_ARCHIVE",
    "JOBS_MANIFEST",
    "admin_password_source",
    "bake_casc",
    "bake_jobs",
    "render_output",
]

JOBS_MANIFEST = "jobs.sha256"
JOBS_ARCHIVE = "jobs.tar"
#: Member times in the archive (the start step extracts with ``tar -m``, so they never reach
#: the home); fixed so that the same jobs give the same archive and Docker reuses the layer.
_MTIME = 946684800
CASC_IMAGE = "casc/image/controller.yaml"
CASC_RENDERED = "casc/rendered"
CASC_SUFFIXES = (".yaml", ".yml", ".YAML", ".YML")
RENDER_MANIFEST = ".jenkinsgen-manifest"
#: A path part the start step handles safely: a Jenkins item name or a rendered file name.
_SAFE_PART = re.compile(r"(?!\.\.?$)[A-Za-z0-9._-]+")


def render_output(given: Path) -> Path:
    """OUT for ``--jobs``: a render output (holding ``jobs/``), or OUT/jobs itself."""
    if not given.is_dir():
        raise ImageError(f"rendered output directory {given} does not exist")
    if (given / RENDER_MANIFEST).is_file():
        return given
    if given.name == "jobs":
        return given.parent
    if (given / "jobs").is_dir():
        return given
    raise ImageError(f"{given}: not an output of `jenkinsgen render` (no jobs/ in it)")


def _files(root: Path) -> list[Path]:
    """Regular files under ``root``, sorted; symbolic links anywhere are refused."""
    if root.is_symlink():
        raise ImageError(f"{root}: symbolic links are not copied into the image")
    found = []
    for path in sorted(root.rglob("*")):
        if path.is_symlink():
            raise ImageError(f"{path}: symbolic links are not copied into the image")
        if path.is_file():
            found.append(path)
    return found


def _copy(src: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(src.read_bytes())
    dest.chmod(0o644)


def bake_jobs(out: Path | None, dest: Path) -> int:
    """Write ``OUT/jobs/**`` as ``dest/jobs.tar`` with ``dest/jobs.sha256`` (both empty without
    OUT); returns the number of files."""
    source = out / "jobs" if out is not None else None
    lines = []
    with tarfile.open(dest / JOBS_ARCHIVE, "w", format=tarfile.PAX_FORMAT) as archive:
        if source is not None and (source.exists() or source.is_symlink()):
            for src in _files(source):
                rel = src.relative_to(source)
                if not all(_SAFE_PART.fullmatch(part) for part in rel.parts):
                    raise ImageError(
                        f"{src}: only letters, digits, '.', '_' and '-' in job file names "
                        "(is this a `jenkinsgen render` output?)"
                    )
                data = src.read_bytes()
                member = tarfile.TarInfo(rel.as_posix())
                member.size, member.mode, member.mtime = len(data), 0o644, _MTIME
                archive.addfile(member, io.BytesIO(data))
                lines.append(f"{hashlib.sha256(data).hexdigest()}  {rel.as_posix()}\n")
    (dest / JOBS_ARCHIVE).chmod(0o644)
    (dest / JOBS_MANIFEST).write_text("".join(lines))
    (dest / JOBS_MANIFEST).chmod(0o644)
    return len(lines)


def bake_casc(config: ControllerConfig, out: Path | None, dest: Path) -> list[str]:
    """Write the image's casc and copy ``OUT/casc/**.yaml``; returns the casc files, relative."""
    written = [CASC_IMAGE]
    target = dest / CASC_IMAGE
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render_controller_casc(config))
    target.chmod(0o644)
    (dest / CASC_RENDERED).mkdir(parents=True, exist_ok=True)
    source = out / "casc" if out is not None else None
    if source is None or not (source.exists() or source.is_symlink()):
        return written
    for src in _files(source):
        rel = src.relative_to(source)
        if src.suffix not in CASC_SUFFIXES or any(p.startswith(".") for p in rel.parts):
            raise ImageError(
                f"{src}: Configuration-as-Code loads only .yaml/.yml files that are not hidden"
            )
        _copy(src, dest / CASC_RENDERED / rel)
        written.append(f"{CASC_RENDERED}/{rel.as_posix()}")
    return written


def admin_password_source(config: ControllerConfig) -> str:
    """``env NAME`` or ``file PATH``: where the casc's admin password reference points."""
    if config.admin_password_file is not None:
        return f"file {config.admin_password_file}\n"
    return f"env {config.admin_password_env}\n"
