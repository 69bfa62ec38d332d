"""The Jinja environment of the job templates (``job-templates/``), and their compile cache.

The environment is strict (an undefined name is an error), does no HTML escaping, and knows
only the escaping filters of :mod:`jenkinsgen.render.groovy`.

Compiling the templates costs a process 40-50 ms, more than rendering a thousand jobs. The
library compiles them in memory unless its caller asks otherwise: :func:`cache_templates`
keeps the compiled code in a directory (Jinja's bytecode cache), where later processes load
it while the template's source, this jenkinsgen, this Jinja and this Python are the same.
The CLI does so in the user's cache directory (docs/render.md); a directory that cannot be
made, read or written only means compiling as before.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from jinja2.bccache import Bucket

from jenkinsgen.atomic import write_atomic
from jenkinsgen.errors import RenderError
from jenkinsgen.render.groovy import FILTERS

__all__ = ["cache_templates", "environment", "render_template", "template_dir"]

_PACKAGE_DIR = Path(__file__).resolve().parent.parent

#: How the templates are compiled (also part of the compile cache's file names).
_OPTIONS: dict[str, Any] = {
    "undefined": jinja2.StrictUndefined,
    "autoescape": False,
    "trim_blocks": True,
    "lstrip_blocks": True,
    "keep_trailing_newline": True,
    "auto_reload": False,  # templates ship with the package; no mtime check per render
}


def template_dir() -> Path:
    """Where the job templates are: inside the installed package (wheel) or the source tree."""
    for candidate in (_PACKAGE_DIR / "job-templates", _PACKAGE_DIR.parent / "job-templates"):
        if candidate.is_dir():
            return candidate
    raise RenderError(f"job templates not found beside {_PACKAGE_DIR}")


@cache
def environment() -> jinja2.Environment:
    """The one environment of this process (its templates are compiled once, when used)."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(template_dir())), **_OPTIONS)
    env.filters.update(FILTERS)
    return env


def render_template(name: str, context: Mapping[str, Any]) -> str:
    """The template ``name`` rendered with ``context``."""
    try:
        return environment().get_template(name).render(context)
    except jinja2.TemplateError as exc:  # a template bug or a missing value, never user input
        raise RenderError(f"job template {name}: {exc}") from exc


def cache_templates(directory: Path) -> bool:
    """Keep the compiled templates in ``directory`` (made if missing) for later processes.

    Returns False, and caches nothing, when the directory cannot be made or is not safe to
    load code from: it, or a directory above it, belongs to another user (root aside) or is
    writable by others (unless sticky, as /tmp is: nobody can then move another's entries).
    Each entry is checked again when it is read (:class:`_CompileCache`). Call it before
    rendering."""
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        resolved = directory.resolve(strict=True)
        info = resolved.stat()
        if not _private(info):
            return False
        if not all(_safe_parent(parent.stat()) for parent in resolved.parents):
            return False
    except OSError:
        return False
    environment().bytecode_cache = _CompileCache(resolved)
    return True


def _private(info: os.stat_result) -> bool:
    """This user's, and nobody else may write it."""
    return info.st_uid == os.getuid() and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _safe_parent(info: os.stat_result) -> bool:
    """Nobody but this user or root can rename or replace what a directory holds."""
    if info.st_uid not in (0, os.getuid()):
        return False
    writable_by_others = info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    return not writable_by_others or bool(info.st_mode & stat.S_ISVTX)


def _fingerprint() -> str:
    """What compiled code depends on beyond the template source (Jinja's own check)."""
    from jenkinsgen import __version__

    options = sorted((k, v.__name__ if isinstance(v, type) else v) for k, v in _OPTIONS.items())
    text = f"{__version__} {jinja2.__version__} {options} {sorted(FILTERS)}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


#: An entry: this line, the SHA-256 of the rest, then Jinja's bucket (its magic, the
#: template source's checksum, the compiled code).
_HEADER = b"jenkinsgen compiled template 1\n"
_DIGEST = hashlib.sha256().digest_size
_MAX_ENTRY = 16 * 1024 * 1024


class _CompileCache(jinja2.BytecodeCache):
    """Compiled templates in ``directory``, one file per template.

    Loading compiled code runs it, so an entry is used only when it is a regular file (not a
    link) of this user, writable by nobody else, whole (its digest matches: a file cut short
    or changed by a bad disk is not marshalled, which could crash the interpreter), for this
    template source, jenkinsgen, Jinja and Python. Anything else, or any error reading it,
    means compiling again; an entry that cannot be written is simply not kept."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._prefix = f"jenkinsgen-{_fingerprint()}-"

    def _path(self, bucket: Bucket) -> Path:
        return self._directory / f"{self._prefix}{bucket.key}.cache"

    def load_bytecode(self, bucket: Bucket) -> None:
        data = _read_own_file(self._path(bucket))
        if data is None or not data.startswith(_HEADER):
            return
        body = data[len(_HEADER) :]
        digest, payload = body[:_DIGEST], body[_DIGEST:]
        if hashlib.sha256(payload).digest() != digest:
            return
        try:
            bucket.bytecode_from_string(payload)
        except Exception:  # whatever an entry holds, the answer is compiling again
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        payload = bucket.bytecode_to_string()
        with contextlib.suppress(OSError):
            entry = _HEADER + hashlib.sha256(payload).digest() + payload
            write_atomic(self._path(bucket), entry, 0o600)


def _read_own_file(path: Path) -> bytes | None:
    """The bytes of ``path`` when it is a regular file (not a link) of this user that nobody
    else can write; None otherwise. Checked on the open file, so it cannot be swapped between
    the check and the read."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        try:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode) or not _private(info) or info.st_size > _MAX_ENTRY:
                return None
            return handle.read(_MAX_ENTRY + 1)
        except OSError:
            return None
