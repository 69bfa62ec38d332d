"""The output tree: write a Rendered to OUT atomically, or compare it with OUT.

OUT mirrors JENKINS_HOME's job tree::

    OUT/jobs/<folder>/config.xml
    OUT/jobs/<folder>/jobs/<service>/config.xml
    OUT/jobs/<folder>/jobs/<service>/jobs/<env>/{config.xml,Jenkinsfile}
    OUT/.jenkinsgen-manifest          the files of this render, one per line

Writing is all or nothing: the tree is rendered into a temporary directory beside OUT (same
filesystem), then swapped in with one atomic exchange (``renameat2(RENAME_EXCHANGE)`` on
Linux; two renames elsewhere), and the previous tree is removed, stale files included. A
failure before the swap leaves OUT exactly as it was. OUT is only ever replaced when it is
missing, empty, or a previous jenkinsgen output holding nothing but the files its manifest
lists, so a user's directory is never wiped.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

from jenkinsgen.errors import RenderError
from jenkinsgen.gc_pause import gc_paused
from jenkinsgen.plan import FolderPlan, JobPlan, Plan, plan
from jenkinsgen.render import _item_files, check_unique_paths
from jenkinsgen.render.extras import extra_files
from jenkinsgen.render.jenkinsfile import warm_templates
from jenkinsgen.render.model import ItemKind, Rendered
from jenkinsgen.render.processes import run_ranges
from jenkinsgen.spec.model import Spec

log = logging.getLogger("jenkinsgen.render")

MANIFEST = ".jenkinsgen-manifest"
_MANIFEST_HEADER = "# jenkinsgen output: every file below is rendered; edit the spec, not these."
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def item_dir(path: tuple[str, ...]) -> str:
    """``("a", "b")`` → ``"jobs/a/jobs/b"``: where JENKINS_HOME keeps that item."""
    return "jobs/" + "/jobs/".join(path) if path else ""


def tree_files(rendered: Rendered) -> dict[str, bytes]:
    """Every file of the output tree (relative POSIX path → bytes), sorted by path."""
    files: dict[str, bytes] = {}
    for item in rendered.items:
        base = item_dir(item.path)
        files[f"{base}/config.xml"] = item.config_xml
        if item.jenkinsfile is not None:
            files[f"{base}/Jenkinsfile"] = item.jenkinsfile.encode("utf-8")
    files.update(rendered.extra_files)
    return dict(sorted(files.items()))


def manifest_text(paths: list[str], owner: str) -> str:
    return "\n".join([_MANIFEST_HEADER, f"owner: {owner}", *paths]) + "\n"


def _read_manifest(out: Path) -> set[str] | None:
    try:
        lines = (out / MANIFEST).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise RenderError(f"{out / MANIFEST}: cannot read it: {exc}") from exc
    if not lines or lines[0] != _MANIFEST_HEADER:
        raise RenderError(f"{out / MANIFEST}: not a jenkinsgen manifest")
    return {line for line in lines[1:] if line and not line.startswith("owner: ")}


def _walk_files(out: Path) -> Iterator[str]:
    """Relative POSIX paths of every non-directory entry under ``out``, sorted."""
    for dirpath, dirnames, filenames in os.walk(out):
        links = [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]
        dirnames[:] = sorted(d for d in dirnames if d not in links)
        rel = os.path.relpath(dirpath, out)
        for name in sorted(filenames + links):
            yield name if rel == "." else f"{rel}/{name}".replace(os.sep, "/")


def _check_replaceable(out: Path) -> None:
    """Refuse to replace anything that is not a missing/empty dir or our own output."""
    if not out.exists():
        return
    if not out.is_dir():
        raise RenderError(f"{out}: exists and is not a directory")
    listed = _read_manifest(out)
    if listed is None:
        if any(out.iterdir()):
            raise RenderError(
                f"{out}: not empty and not a jenkinsgen output (no {MANIFEST}); "
                "refusing to replace it: choose an empty or new directory"
            )
        return
    foreign = [p for p in _walk_files(out) if p != MANIFEST and p not in listed]
    if foreign:
        more = f" and {len(foreign) - 3} more" if len(foreign) > 3 else ""
        raise RenderError(
            f"{out}: holds files jenkinsgen did not write ({', '.join(foreign[:3])}{more}); "
            "refusing to replace it: move them away first"
        )


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux renameat2); False when the system cannot."""
    import ctypes.util  # only when a previous tree is replaced

    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        libc = ctypes.CDLL(name, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    rc = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return bool(rc == 0)


def _swap_in(tmp: Path, out: Path) -> Path | None:
    """Make ``tmp`` become ``out``; returns where the previous ``out`` now is (to remove)."""
    if not out.exists():
        os.rename(tmp, out)
        return None
    if _exchange(tmp, out):
        return tmp
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
    os.rmdir(old)
    os.rename(out, old)
    try:
        os.rename(tmp, out)
    except OSError:
        os.rename(old, out)
        raise
    return old


def _dir_mode(out: Path) -> int:
    if out.is_dir():
        return out.stat().st_mode & 0o7777
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o777 & ~umask


_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)


def _write_file(path: str, data: bytes) -> None:
    """Create ``path`` with ``data`` (plain os calls: tens of thousands of files add up)."""
    fd = os.open(path, _CREATE, 0o666)
    try:
        written = os.write(fd, data)
        if written < len(data):
            view = memoryview(data)[written:]
            while view:
                view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


def _ensure_dir(base: str, rel: str, made: set[str]) -> None:
    """Create ``base/rel`` and its missing parents (``made``: those known to exist)."""
    if rel in made or not rel:
        return
    parent = rel.rpartition("/")[0]
    if parent not in made:
        _ensure_dir(base, parent, made)
    with contextlib.suppress(FileExistsError):  # another writer process may have made it
        os.mkdir(f"{base}/{rel}")
    made.add(rel)


def _write_range(base: str, files: list[tuple[str, bytes]]) -> None:
    made: set[str] = set()
    prefix = base + "/"
    for rel, data in files:
        parent = rel.rpartition("/")[0]
        if parent not in made:
            _ensure_dir(base, parent, made)
        _write_file(prefix + rel, data)


def _write_files(base: str, files: list[tuple[str, bytes]], workers: int) -> None:
    """Write ``files`` under ``base``, split over ``workers`` processes when above one."""

    def write(start: int, end: int) -> None:
        _write_range(base, files[start:end])

    run_ranges(write, len(files), workers)


@dataclass(frozen=True)
class WriteResult:
    """What a write did: the files written, those of the previous render now gone, and the
    kind of every item written (folders first, then jobs)."""

    files: int
    removed: tuple[str, ...]
    kinds: tuple[ItemKind, ...] = ()


def _replace_out(out: Path | str, owner: str, fill: Callable[[str], list[str]]) -> WriteResult:
    """Replace ``out`` atomically with a tree that ``fill(tmp)`` writes into ``tmp``.

    ``fill`` returns the sorted relative paths it wrote (they make the manifest). Anything it
    raises leaves ``out`` as it was and removes ``tmp``.
    """
    out = Path(out).absolute()
    if out.is_symlink():  # replace the directory it points to, keep the link
        try:
            out = out.resolve()
        except (OSError, RuntimeError) as exc:  # RuntimeError: a loop (Python < 3.13)
            raise RenderError(f"{out}: a symbolic link that leads nowhere: {exc}") from None
    _check_replaceable(out)
    previous = _read_manifest(out) if out.is_dir() else None
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.jenkinsgen-", dir=out.parent))
    except OSError as exc:
        raise RenderError(f"{out}: cannot create the output directory: {exc}") from exc
    try:
        paths = fill(str(tmp))
        (tmp / MANIFEST).write_text(manifest_text(paths, owner), encoding="utf-8")
        tmp.chmod(_dir_mode(out))
        previous_tree = _swap_in(tmp, out)
    except OSError as exc:
        with contextlib.suppress(OSError):
            shutil.rmtree(tmp)
        raise RenderError(f"{out}: writing the output failed, left as it was: {exc}") from exc
    except BaseException:
        with contextlib.suppress(OSError):
            shutil.rmtree(tmp)
        raise
    if previous_tree is not None:  # the new tree is in place; a leftover is only untidy
        try:
            shutil.rmtree(previous_tree, ignore_errors=True)
        except KeyboardInterrupt:  # the render is done: say what is left, not "failed"
            log.warning("interrupted while removing the previous tree: remove %s", previous_tree)
    removed = tuple(sorted(previous.difference(paths))) if previous else ()
    return WriteResult(len(paths) + 1, removed)


def write_tree(rendered: Rendered, out: Path | str, workers: int = 1) -> WriteResult:
    """Write ``rendered`` to ``out`` atomically, replacing a previous render (see module doc).

    ``workers`` > 1 writes the files from this process and ``workers - 1`` forked ones (as
    :func:`jenkinsgen.render.render_plan`); the tree written is the same.
    """
    files = tree_files(rendered)

    def fill(base: str) -> list[str]:
        _write_files(base, list(files.items()), workers)
        return list(files)

    result = _replace_out(out, rendered.owner, fill)
    return replace(result, kinds=tuple(item.kind for item in rendered.items))


def _render_write_range(
    p: Plan, items: list[FolderPlan | JobPlan], base: str, start: int, end: int
) -> None:
    """Render ``items[start:end]`` and write their files under ``base``."""
    made: set[str] = set()
    prefix = base + "/"
    with gc_paused():  # rendering makes no reference cycles; see gc_paused
        for item in items[start:end]:
            config, jenkinsfile = _item_files(p, item)
            rel = item_dir(item.path)
            _ensure_dir(base, rel, made)
            _write_file(f"{prefix}{rel}/config.xml", config)
            if jenkinsfile is not None:
                _write_file(f"{prefix}{rel}/Jenkinsfile", jenkinsfile.encode("utf-8"))


def render_into(spec: Spec, out: Path | str, workers: int = 1) -> WriteResult:
    """Render ``spec`` straight into ``out``: the same tree (and the same atomic replacement)
    as ``write_tree(render_spec(spec), out)``, without holding the whole render in memory.

    ``workers`` > 1 renders and writes from this process and ``workers - 1`` forked ones, each
    writing what it renders (no rendered bytes travel between processes), as
    :func:`jenkinsgen.render.render_plan`. The default works in this process.
    """
    return render_plan_into(plan(spec), out, workers)


def render_plan_into(p: Plan, out: Path | str, workers: int = 1) -> WriteResult:
    """:func:`render_into` for a plan already made (e.g. to size ``workers`` by its jobs)."""
    check_unique_paths(p)
    items: list[FolderPlan | JobPlan] = [*p.folders, *p.jobs]
    paths: list[str] = []
    kinds: list[ItemKind] = []
    for folder in p.folders:
        paths.append(f"{item_dir(folder.path)}/config.xml")
        kinds.append("folder")
    for job in p.jobs:  # every job has a Jenkinsfile beside its config.xml
        base = item_dir(job.path)
        paths += (f"{base}/config.xml", f"{base}/Jenkinsfile")
        kinds.append(job.kind)
    extras = extra_files(p.spec)
    paths += [rel for rel, _ in extras]
    paths.sort()

    def fill(base: str) -> list[str]:
        if workers > 1:
            warm_templates()  # compiled once here, not in every forked worker
        run_ranges(partial(_render_write_range, p, items, base), len(items), workers)
        _write_range(base, list(extras))
        return paths

    return replace(_replace_out(out, p.spec.folder, fill), kinds=tuple(kinds))


@dataclass(frozen=True)
class TreeDiff:
    """How OUT differs from a render: paths to add, to change and to remove."""

    added: tuple[str, ...]
    changed: tuple[str, ...]
    removed: tuple[str, ...]

    @property
    def current(self) -> bool:
        return not (self.added or self.changed or self.removed)

    def summary(self) -> str:
        return f"{len(self.added)} added, {len(self.changed)} changed, {len(self.removed)} removed"


def check_tree(rendered: Rendered, out: Path | str) -> TreeDiff:
    """Compare ``rendered`` with the files in ``out`` (the manifest itself is not compared)."""
    out = Path(out)
    files = tree_files(rendered)
    if out.exists() and not out.is_dir():
        raise RenderError(f"{out}: exists and is not a directory")
    on_disk = [p for p in _walk_files(out) if p != MANIFEST] if out.is_dir() else []
    present = set(on_disk)
    changed = []
    for rel, data in files.items():
        if rel in present:
            try:
                if (out / rel).read_bytes() != data:
                    changed.append(rel)
            except OSError as exc:
                raise RenderError(f"{out / rel}: cannot read it: {exc}") from exc
    added = [rel for rel in files if rel not in present]
    removed = [rel for rel in on_disk if rel not in files]
    return TreeDiff(tuple(added), tuple(changed), tuple(removed))
