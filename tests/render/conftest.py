"""Fixtures of the render tests: one Groovy parser process for the whole session; forks
counted; a machine with many CPUs."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator

import pytest

from jenkinsgen.render import processes
from tests.render.groovy_ast import GroovyParser, find_groovy


@pytest.fixture(scope="session")
def groovy() -> Iterator[GroovyParser]:
    """A running Groovy 2.4 parser: ``groovy.parse(text)`` returns an AstSummary.

    Fails (not skips) when Groovy is missing: the escaping guarantee is proved with it, and CI
    installs it.
    """
    launcher = find_groovy()
    if launcher is None:
        pytest.fail("groovy not found on PATH (Debian package 'groovy'; .ci/run installs it)")
    parser = GroovyParser(launcher)
    try:
        yield parser
    finally:
        parser.close()


@pytest.fixture
def forks(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """The pids of the processes forked from this process while the test runs.

    The library forks only from a single-threaded process, so a thread left running by an
    earlier test would silently turn these tests serial: that is reported as the failure.
    """
    running = processes.threads_running()
    if running != 1:
        names = [t.name for t in threading.enumerate()]
        pytest.fail(
            f"{running} threads run in the test process (Python knows of {names}); an earlier "
            "test or fixture left one running, and the library refuses to fork beside it"
        )
    real = os.fork
    children: list[int] = []

    def counting_fork() -> int:
        pid = real()
        if pid:
            children.append(pid)
        return pid

    monkeypatch.setattr(os, "fork", counting_fork)
    yield children


@pytest.fixture
def many_cpus(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pretend the machine has 16 CPUs (code that sizes its own pool would use them)."""
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(16)), raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 16)
