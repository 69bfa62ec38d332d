"""Suite-wide options and fixtures. Area fixtures live in each tests/<area>/conftest.py."""

from __future__ import annotations

import os
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest_plugins = ["tests.jenkins_double.fixtures", "tests.dockerlib.fixtures"]

ROOT = Path(__file__).resolve().parent.parent
TEST_DATA = ROOT / "tests" / "data"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite tests/golden/<case>/expected from the current renderer",
    )


@pytest.fixture(scope="session", autouse=True)
def _cache_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The CLI keeps compiled templates in $XDG_CACHE_HOME: the suite's own, not the user's."""
    before = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("cache-home"))
    yield
    if before is None:
        del os.environ["XDG_CACHE_HOME"]
    else:
        os.environ["XDG_CACHE_HOME"] = before


@pytest.fixture(scope="session")
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture(scope="session")
def test_data() -> Path:
    """tests/data: real files published by Jenkins and its tools (provenance in its README)."""
    return TEST_DATA


@pytest.fixture(scope="session")
def uc_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real update-center.json, unpacked from the zip it is kept in."""
    with zipfile.ZipFile(TEST_DATA / "update-center" / "update-center.actual.zip") as archive:
        target = tmp_path_factory.mktemp("update-center") / "update-center.actual.json"
        target.write_bytes(archive.read("update-center.actual.json"))
    return target
