"""Fixtures of the render tests: one Groovy parser process for the whole session; forks
counted; a machine with many CPUs."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

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
    """The pids of the processes forked from this process while the test runs."""
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
