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
import pickle
import stat
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from jinja2.bccache import Bucket

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
    load code from (another owner, or writable by others). Call it before rendering."""
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = directory.stat()
    except OSError:
        return False
    if info.st_uid != os.getuid() or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return False
    environment().bytecode_cache = _CompileCache(directory)
    return True


def _fingerprint() -> str:
    """What compiled code depends on beyond the template source (Jinja's own check)."""
    from jenkinsgen import __version__

    options = sorted((k, v.__name__ if isinstance(v, type) else v) for k, v in _OPTIONS.items())
    text = f"{__version__} {jinja2.__version__} {options} {sorted(FILTERS)}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class _CompileCache(jinja2.FileSystemBytecodeCache):
    """Jinja's bytecode cache in ``directory``; an entry that cannot be read or written is
    compiled again (another process may be writing it, the disk may be full)."""

    def __init__(self, directory: Path) -> None:
        super().__init__(str(directory), f"jenkinsgen-{_fingerprint()}-%s.cache")

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except (OSError, EOFError, ValueError, TypeError, pickle.UnpicklingError):
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)
