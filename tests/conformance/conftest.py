"""The fact table, loaded once (tests/data/jenkins-facts.json, written by
scripts/jenkins-facts.py from the Jenkins sources at the pinned versions)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conformance.facts import FactTable


@pytest.fixture(scope="session")
def facts(test_data: Path) -> FactTable:
    return FactTable.load(test_data / "jenkins-facts.json")
