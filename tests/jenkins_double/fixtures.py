"""pytest fixtures for the Jenkins double (registered from tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.jenkins_double.server import JenkinsDouble


@pytest.fixture
def jenkins_double() -> Iterator[JenkinsDouble]:
    """A fresh, started double (security off, CSRF on) stopped after the test."""
    double = JenkinsDouble()
    double.start()
    try:
        yield double
    finally:
        double.stop()


@pytest.fixture
def secured_jenkins_double() -> Iterator[JenkinsDouble]:
    """A started double with user ``admin`` (password ``admin-pw``, token ``admin-token``)."""
    double = JenkinsDouble(users={"admin": "admin-pw"}, tokens={"admin": "admin-token"})
    double.start()
    try:
        yield double
    finally:
        double.stop()
