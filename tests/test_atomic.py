"""jenkinsgen.atomic.write_atomic: the one atomic file write (lock, docs, graph, release state)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from jenkinsgen.atomic import write_atomic


def test_text_and_bytes_replace_the_file_whole(tmp_path: Path) -> None:
    target = tmp_path / "state.json"
    write_atomic(target, "ünïcode\n")
    assert target.read_bytes() == "ünïcode\n".encode()
    write_atomic(target, b"\x00\x01")
    assert target.read_bytes() == b"\x00\x01"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json"]


def test_default_mode_is_what_open_would_give_and_an_explicit_mode_is_kept(
    tmp_path: Path,
) -> None:
    old = os.umask(0o027)
    try:
        write_atomic(tmp_path / "plain", "x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "plain").stat().st_mode) == 0o640
    write_atomic(tmp_path / "secret", "x", mode=0o600)
    assert stat.S_IMODE((tmp_path / "secret").stat().st_mode) == 0o600


def test_a_failed_write_keeps_the_old_content_and_leaves_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "busy"
    target.mkdir()  # a directory where the file should go: the rename fails
    (target / "keep").write_text("old")
    with pytest.raises(OSError):
        write_atomic(target, "new")
    assert (target / "keep").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["busy"]


def test_a_relative_path_in_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write_atomic("here.txt", "x")
    assert (tmp_path / "here.txt").read_text() == "x"


def test_write_new_never_replaces_and_leaves_nothing_behind(tmp_path: Path) -> None:
    from jenkinsgen.atomic import write_new

    target = tmp_path / "secret"
    write_new(target, "s3cret\n", mode=0o600)
    assert target.read_text() == "s3cret\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    inode = target.stat().st_ino
    with pytest.raises(FileExistsError):
        write_new(target, "other\n", mode=0o600)
    assert target.read_text() == "s3cret\n" and target.stat().st_ino == inode
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")  # a name taken by a link
    with pytest.raises(FileExistsError):
        write_new(tmp_path / "dangling", "x")
    assert not (tmp_path / "nowhere").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dangling", "secret"]
