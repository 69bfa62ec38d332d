"""Worker processes are the caller's choice: the library never forks on its own, forks only
where that is safe, and several processes give exactly the single-process result."""

from __future__ import annotations

import faulthandler
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from jenkinsgen.errors import RenderError
from jenkinsgen.render import output, processes, render_spec
from jenkinsgen.render.output import render_into, write_tree
from jenkinsgen.spec import Spec, load_spec_text

SERVICES = 40


def _spec(services: int = SERVICES) -> Spec:
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
        for i in range(services)
    ]
    return load_spec_text("\n".join(lines) + "\n", "fleet.yaml")


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_parallel_render_and_write_match_serial(tmp_path: Path, forks: list[int]) -> None:
    spec = _spec()
    serial = render_spec(spec, workers=1)
    assert forks == []
    parallel = render_spec(spec, workers=3)
    assert len(forks) == 2  # and this process
    assert parallel == serial
    write_tree(serial, tmp_path / "a", workers=1)
    write_tree(parallel, tmp_path / "b", workers=3)
    assert len(forks) == 4
    assert _files(tmp_path / "a") == _files(tmp_path / "b")
    assert len(_files(tmp_path / "b")) == 1 + 1 + SERVICES * (1 + 3 * 2)


def test_failing_writer_process_leaves_out_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, forks: list[int]
) -> None:
    out = tmp_path / "out"
    rendered = render_spec(_spec(), workers=1)
    write_tree(rendered, out, workers=1)
    before = _files(out)
    real = output._write_file

    def failing(path: str, data: bytes) -> None:
        if path.endswith("s039/jobs/prod/config.xml"):  # the last file, whoever writes it
            raise OSError(5, "Input/output error")
        real(path, data)

    monkeypatch.setattr(output, "_write_file", failing)
    with pytest.raises(RenderError, match="Input/output error"):
        write_tree(rendered, out, workers=3)
    assert forks
    assert _files(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_the_library_never_forks_unless_asked(
    tmp_path: Path, forks: list[int], many_cpus: None
) -> None:
    """Defaults are one process, however large the spec and however many CPUs there are:
    a long-running caller (a webhook receiver, a test runner) gets no children and no
    threads it did not ask for."""
    spec = _spec(services=600)  # 1,800 jobs: enough for the CLI to choose several processes
    threads = processes.threads_running()
    rendered = render_spec(spec)
    write_tree(rendered, tmp_path / "a")
    render_into(spec, tmp_path / "b")
    assert forks == []
    assert processes.threads_running() == threads
    assert _files(tmp_path / "a") == _files(tmp_path / "b")


def test_no_fork_while_another_thread_runs(forks: list[int]) -> None:
    """A thread that Python's threading module does not know (here faulthandler's watchdog,
    started in C) still makes forking unsafe: the workers asked for are not started and the
    result is the same."""
    spec = _spec()
    assert processes.can_fork()
    faulthandler.dump_traceback_later(3600)
    try:
        assert not processes.can_fork()
        rendered = render_spec(spec, workers=3)
    finally:
        faulthandler.cancel_dump_traceback_later()
    assert forks == []
    assert rendered == render_spec(spec, workers=1)


def test_a_worker_killed_midway_is_an_error(forks: list[int]) -> None:
    parent = os.getpid()

    def task(start: int, end: int) -> int:
        if os.getpid() != parent:
            os._exit(3)  # a worker dying without a word (OOM killer, SIGKILL)
        return end - start

    with pytest.raises(RenderError, match=r"render worker process died \(exit status 3\)"):
        processes.run_ranges(task, 40, workers=3)
    assert len(forks) == 2


def test_split_covers_every_item_once() -> None:
    for total in (0, 1, 7, 40, 1001):
        for parts in (1, 3, 16):
            ranges = processes.split(total, parts)
            assert len(ranges) <= parts
            assert [i for start, end in ranges for i in range(start, end)] == list(range(total))


def test_ctrl_c_stops_every_worker_quietly(
    forks: list[int], capfd: pytest.CaptureFixture[str]
) -> None:
    """Ctrl-C reaches the caller and its workers (one process group): the call raises
    KeyboardInterrupt, every worker is gone, and none of them prints a traceback."""
    parent = os.getpid()
    second = processes.split(40, 2 * 8)[1][0]  # the worker's second range: all are running

    def task(start: int, end: int) -> int:
        if start == second and os.getpid() != parent:
            os.kill(parent, signal.SIGINT)
            os.kill(os.getpid(), signal.SIGINT)
        return end - start

    with pytest.raises(KeyboardInterrupt):
        processes.run_ranges(task, 40, workers=2)
    assert len(forks) == 1
    for pid in forks:
        with pytest.raises(ChildProcessError):  # already reaped: none is left running
            os.waitpid(pid, os.WNOHANG)
    assert "Traceback" not in capfd.readouterr().err


def test_rendering_in_one_process_does_not_load_multiprocessing(tmp_path: Path) -> None:
    """The library's default path never even imports the machinery for workers."""
    code = (
        "import sys\n"
        "from jenkinsgen import load_spec, render_spec, write_tree\n"
        "from jenkinsgen.render.output import render_into\n"
        "spec = load_spec(sys.argv[1])\n"
        "write_tree(render_spec(spec), sys.argv[2] + '/a')\n"
        "render_into(spec, sys.argv[2] + '/b')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'multiprocessing'))\n"
    )
    example = Path(__file__).resolve().parents[2] / "examples" / "jenkinsgen.yaml"
    out = subprocess.run(
        [sys.executable, "-c", code, str(example), str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.strip() == "[]"
