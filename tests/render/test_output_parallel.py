"""Rendering and writing from several processes gives exactly the single-process result."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from jenkinsgen.errors import RenderError
from jenkinsgen.render import PARALLEL_MIN_JOBS, auto_workers, output, render_spec
from jenkinsgen.render.output import write_tree
from jenkinsgen.spec import Spec, load_spec_text

SERVICES = 40


def _spec() -> Spec:
    lines = [
        "version: 1",
        "folder: fleet",
        "defaults: {registry: r.example.com/x, registry_credentials: push, push_credentials: hook}",
        "environments:",
        "  - {name: dev, branch: develop}",
        "  - {name: staging, branch: release}",
        "  - {name: prod, branch: main, deploy: manual, approvers: [ops]}",
        "services:",
    ]
    lines += [
        f"  - {{name: s{i:03d}, repo: 'https://g.example.com/s{i}.git', build: 'make {i}'}}"
        for i in range(SERVICES)
    ]
    return load_spec_text("\n".join(lines) + "\n", "fleet.yaml")


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_parallel_render_and_write_match_serial(tmp_path: Path) -> None:
    spec = _spec()
    serial = render_spec(spec, workers=1)
    parallel = render_spec(spec, workers=3)
    assert parallel == serial
    write_tree(serial, tmp_path / "a", workers=1)
    write_tree(parallel, tmp_path / "b", workers=3)
    assert _files(tmp_path / "a") == _files(tmp_path / "b")
    assert len(_files(tmp_path / "b")) == 1 + 1 + SERVICES * (1 + 3 * 2)


def test_failing_writer_process_leaves_out_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    rendered = render_spec(_spec(), workers=1)
    write_tree(rendered, out, workers=1)
    before = _files(out)
    real = output._write_file

    def failing(path: str, data: bytes) -> None:
        if path.endswith("s039/jobs/prod/config.xml"):  # written by the last forked writer
            raise OSError(5, "Input/output error")
        real(path, data)

    monkeypatch.setattr(output, "_write_file", failing)
    with pytest.raises(RenderError, match="Input/output error"):
        write_tree(rendered, out, workers=3)
    assert _files(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_auto_workers_stays_serial_for_small_plans_and_threaded_callers() -> None:
    assert auto_workers(10) == 1
    assert auto_workers(PARALLEL_MIN_JOBS - 1) == 1
    assert auto_workers(100_000) >= 1
    release = threading.Event()
    thread = threading.Thread(target=release.wait)
    thread.start()
    try:
        assert auto_workers(100_000) == 1
    finally:
        release.set()
        thread.join()
