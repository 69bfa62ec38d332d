"""scripts/jenkins-facts.py reproduces the checked-in table from the Jenkins sources.

Needs clones of the sources (bare mirrors), which the suite does not carry: set
JENKINSGEN_FACTS_MIRRORS to their directory (see docs/conformance.md) to run it; it is skipped
otherwise.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MIRRORS = os.environ.get("JENKINSGEN_FACTS_MIRRORS")
SCRIPT = [sys.executable, str(ROOT / "scripts" / "jenkins-facts.py")]


@pytest.mark.skipif(not MIRRORS, reason="JENKINSGEN_FACTS_MIRRORS (Jenkins source clones) unset")
def test_the_script_regenerates_the_table(tmp_path: Path, test_data: Path) -> None:
    out = tmp_path / "facts.json"
    result = subprocess.run(
        [*SCRIPT, "--mirrors", str(MIRRORS), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(out.read_text()) == json.loads((test_data / "jenkins-facts.json").read_text())


def test_the_script_refuses_an_unknown_mirror_directory(tmp_path: Path) -> None:
    result = subprocess.run(
        [*SCRIPT, "--mirrors", str(tmp_path), "--out", str(tmp_path / "facts.json")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("error: no clone of jenkinsci/jenkins (core)")
    assert "Traceback" not in result.stderr and not (tmp_path / "facts.json").exists()
