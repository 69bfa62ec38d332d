"""Writing a file so that readers see the old content or the new one, never a mix."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

__all__ = ["write_text_atomic"]


def write_text_atomic(
    path: str | os.PathLike[str], text: str, *, mode: int | None = None, durable: bool = False
) -> None:
    """Write ``text`` to a temp file beside ``path`` and rename it over ``path``.

    ``mode`` sets the file's permissions (default: the temp file's 0600); ``durable`` also
    flushes the file and its directory to disk, so the new content survives a machine crash,
    not only a process crash. Raises OSError; the temp file never stays behind.
    """
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            if mode is not None:
                os.fchmod(handle.fileno(), mode)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if durable:
        dir_fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
