"""Fixtures of the render tests: one Groovy parser process for the whole session."""

from __future__ import annotations

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
