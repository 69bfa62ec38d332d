"""Writing a file so that readers see the old content or the new, never a part of either."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

__all__ = ["write_atomic", "write_new"]


def _default_mode(mode: int | None) -> int:
    """``mode``, or what a plain ``open`` would create: 0644 minus the umask."""
    if mode is not None:
        return mode
    umask = os.umask(0)
    os.umask(umask)
    return 0o644 & ~umask


def _write_all(fd: int, payload: bytes) -> None:
    with os.fdopen(fd, "wb") as handle:
        handle.write(payload)
        handle.flush()
        os.fsync(handle.fileno())


def _staged(target: Path, payload: bytes, mode: int) -> str:
    """A temp file beside ``target`` holding ``payload`` on disk, with ``mode``."""
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=_directory(target))
    try:
        _write_all(fd, payload)
        os.chmod(tmp, mode)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return tmp


def _directory(target: Path) -> Path:
    return target.parent if str(target.parent) else Path(".")


def _sync_directory(target: Path) -> None:
    dir_fd = os.open(_directory(target), os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _payload(data: bytes | str) -> bytes:
    return data.encode("utf-8") if isinstance(data, str) else data


def write_atomic(path: str | os.PathLike[str], data: bytes | str, mode: int | None = None) -> None:
    """Write ``data`` to ``path`` through a temp file in the same directory and a rename.

    ``mode`` sets the file's permissions before it gets its name (so a secret is never readable
    by others, even for a moment); by default the temp file's 0600 is widened to 0644 minus the
    umask, as a plain ``open`` would create it. The file is flushed to disk before the rename and
    the directory after it, so the new content survives a machine crash, not only a process
    crash (release state relies on it). Raises OSError; nothing is left behind on failure.
    """
    target = Path(path)
    tmp = _staged(target, _payload(data), _default_mode(mode))
    try:
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _sync_directory(target)


def write_new(path: str | os.PathLike[str], data: bytes | str, mode: int | None = None) -> None:
    """Like :func:`write_atomic`, but never replaces anything: ``path`` appears whole, with
    ``mode``, or not at all, and FileExistsError is raised when something is there already
    (even if it appeared a moment ago: the name is taken with a hard link, which fails when it
    exists). On a file system without hard links the file is created exclusively and removed
    again if writing it fails."""
    target = Path(path)
    payload, final_mode = _payload(data), _default_mode(mode)
    tmp = _staged(target, payload, final_mode)
    try:
        try:
            os.link(tmp, target)
        except FileExistsError:
            raise
        except OSError:  # no hard links here (EPERM, ENOTSUP): create exclusively instead
            _write_exclusive(target, payload, final_mode)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
    _sync_directory(target)


def _write_exclusive(target: Path, payload: bytes, mode: int) -> None:
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        _write_all(fd, payload)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(target)
        raise
