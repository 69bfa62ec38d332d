"""The output tree: layout, atomic replacement, stale files, safety rules, check."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from jenkinsgen.errors import RenderError
from jenkinsgen.render import output, render_spec
from jenkinsgen.render.model import Rendered
from jenkinsgen.render.output import MANIFEST, check_tree, tree_files, write_tree
from jenkinsgen.spec import load_spec_text

SPEC = """\
version: 1
folder: delivery
defaults: {{registry: r.example.com/x, registry_credentials: push}}
environments:
  - {{name: dev, branch: develop}}
  - {{name: prod, branch: main, deploy: manual, approvers: [ops]}}
services:
{services}
"""


def _rendered(*names: str) -> Rendered:
    services = "\n".join(
        f"  - {{name: {n}, repo: 'https://g.example.com/{n}.git', build: make}}" for n in names
    )
    return render_spec(load_spec_text(SPEC.format(services=services), "s.yaml"))


def _files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() or p.is_symlink()
    }


def _siblings(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir() if p != path)


def test_layout_mirrors_jenkins_home(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = write_tree(_rendered("orders"), out)
    files = _files(out)
    assert sorted(files) == [
        MANIFEST,
        "jobs/delivery/config.xml",
        "jobs/delivery/jobs/orders/config.xml",
        "jobs/delivery/jobs/orders/jobs/dev/Jenkinsfile",
        "jobs/delivery/jobs/orders/jobs/dev/config.xml",
        "jobs/delivery/jobs/orders/jobs/prod/Jenkinsfile",
        "jobs/delivery/jobs/orders/jobs/prod/config.xml",
    ]
    assert result.files == len(files) and result.removed == ()
    manifest = files[MANIFEST].decode().splitlines()
    assert manifest[1] == "owner: delivery"
    assert manifest[2:] == sorted(f for f in files if f != MANIFEST)
    assert _siblings(out) == []  # no temporary directory left behind
    mode = stat.S_IMODE(out.stat().st_mode)
    assert mode == 0o777 & ~_umask()  # not mkdtemp's private 0700


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def test_rewrite_is_identical_and_removes_stale_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_tree(_rendered("orders", "web"), out)
    first = _files(out)
    write_tree(_rendered("orders", "web"), out)
    assert _files(out) == first
    result = write_tree(_rendered("orders"), out)
    after = _files(out)
    assert not (out / "jobs/delivery/jobs/web").exists()
    assert result.removed == (
        "jobs/delivery/jobs/web/config.xml",
        "jobs/delivery/jobs/web/jobs/dev/Jenkinsfile",
        "jobs/delivery/jobs/web/jobs/dev/config.xml",
        "jobs/delivery/jobs/web/jobs/prod/Jenkinsfile",
        "jobs/delivery/jobs/web/jobs/prod/config.xml",
    )
    assert after.keys() == {MANIFEST, *tree_files(_rendered("orders"))}


def test_empty_existing_directory_is_used(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    write_tree(_rendered("orders"), out)
    assert (out / MANIFEST).is_file()


def test_refuses_a_users_directory(tmp_path: Path) -> None:
    out = tmp_path / "home"
    out.mkdir()
    (out / "thesis.tex").write_text("precious")
    with pytest.raises(RenderError, match="not a jenkinsgen output"):
        write_tree(_rendered("orders"), out)
    assert _files(out) == {"thesis.tex": b"precious"}
    assert _siblings(out) == []


def test_refuses_foreign_files_in_a_previous_output(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_tree(_rendered("orders"), out)
    (out / "jobs/delivery/notes.txt").write_text("mine")
    before = _files(out)
    with pytest.raises(RenderError, match=r"did not write \(jobs/delivery/notes.txt\)"):
        write_tree(_rendered("orders"), out)
    assert _files(out) == before


def test_symlinked_directory_counts_as_foreign(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_tree(_rendered("orders"), out)
    target = tmp_path / "elsewhere"
    target.mkdir()
    (target / "keep").write_text("k")
    (out / "link").symlink_to(target, target_is_directory=True)
    with pytest.raises(RenderError, match=r"\(link\)"):
        write_tree(_rendered("orders"), out)
    assert (target / "keep").read_text() == "k"


def test_refuses_a_file(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.write_text("x")
    with pytest.raises(RenderError, match="not a directory"):
        write_tree(_rendered("orders"), out)
    assert out.read_text() == "x"


def test_failed_write_leaves_out_as_it_was(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    write_tree(_rendered("orders"), out)
    before = _files(out)
    calls = {"n": 0}
    real_write = output._write_file

    def failing_write(path: str, data: bytes) -> None:
        calls["n"] += 1
        if calls["n"] == 4:
            raise OSError(28, "No space left on device")
        real_write(path, data)

    monkeypatch.setattr(output, "_write_file", failing_write)
    with pytest.raises(RenderError, match=r"left as it was: .*No space left"):
        write_tree(_rendered("orders", "web"), out)
    assert _files(out) == before
    assert _siblings(out) == []


def test_interrupt_leaves_out_as_it_was(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    write_tree(_rendered("orders"), out)
    before = _files(out)

    def interrupted(tmp: Path, dest: Path) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(output, "_swap_in", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_tree(_rendered("web"), out)
    assert _files(out) == before
    assert _siblings(out) == []


def test_swap_without_rename_exchange(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(output, "_exchange", lambda a, b: False)
    out = tmp_path / "out"
    write_tree(_rendered("orders", "web"), out)
    write_tree(_rendered("web"), out)
    assert not (out / "jobs/delivery/jobs/orders").exists()
    assert (out / "jobs/delivery/jobs/web/jobs/dev/Jenkinsfile").is_file()
    assert _siblings(out) == []


def test_rename_exchange_is_atomic_swap(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "from-a").touch()
    (b / "from-b").touch()
    if not output._exchange(a, b):
        pytest.skip("renameat2(RENAME_EXCHANGE) not available on this system")
    assert (a / "from-b").exists() and (b / "from-a").exists()


def test_check_tree_reports_added_changed_removed(tmp_path: Path) -> None:
    out = tmp_path / "out"
    rendered = _rendered("orders")
    assert check_tree(rendered, out).added == tuple(tree_files(rendered))
    write_tree(rendered, out)
    assert check_tree(rendered, out).current
    (out / "jobs/delivery/config.xml").write_bytes(b"<edited/>")
    (out / "jobs/delivery/jobs/orders/jobs/dev/Jenkinsfile").unlink()
    (out / "jobs/delivery/jobs/orders/jobs/old").mkdir()
    (out / "jobs/delivery/jobs/orders/jobs/old/config.xml").write_text("x")
    diff = check_tree(rendered, out)
    assert diff.added == ("jobs/delivery/jobs/orders/jobs/dev/Jenkinsfile",)
    assert diff.changed == ("jobs/delivery/config.xml",)
    assert diff.removed == ("jobs/delivery/jobs/orders/jobs/old/config.xml",)
    assert diff.summary() == "1 added, 1 changed, 1 removed"
    assert not diff.current


def test_out_as_a_symlink_keeps_the_link(tmp_path: Path) -> None:
    real = tmp_path / "real"
    write_tree(_rendered("orders", "web"), real)
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    write_tree(_rendered("web"), link)
    assert link.is_symlink() and link.resolve() == real.resolve()
    assert not (real / "jobs/delivery/jobs/orders").exists()
    assert (link / "jobs/delivery/jobs/web/config.xml").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link", "real"]
