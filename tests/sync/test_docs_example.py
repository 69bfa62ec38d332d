"""docs/sync.md's example session is what the code prints: every command of its console block
runs against the REST double, in the state the page describes, and its output is compared line
by line (``...`` in the page stands for the body of a config.xml diff)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.jenkins_double.server import JenkinsDouble
from tests.sync.helpers import spec_text

ROOT = Path(__file__).resolve().parent.parent.parent
PAGE = ROOT / "docs" / "sync.md"
URL = "https://jenkins.example.com"
#: Lines of a unified diff (what ``...`` may stand for in the page).
DIFF_LINE = re.compile(r"^(---|\+\+\+|@@|[ +-])")


def _session() -> list[tuple[str, list[str]]]:
    """(command, expected output lines) of the first ``console`` block of the Examples."""
    text = PAGE.read_text(encoding="utf-8")
    block = text.split("## Examples", 1)[1].split("```console\n", 1)[1].split("```", 1)[0]
    session: list[tuple[str, list[str]]] = []
    for line in block.splitlines():
        if line.startswith("$ export "):
            continue  # credentials: the double here runs with security off
        if line.startswith("$ "):
            session.append((line[2:].split("#", 1)[0].strip(), []))
        elif session and line:
            session[-1][1].append(line)
    return session


def _matches(expected: list[str], actual: list[str]) -> bool:
    """``actual`` line for line, where ``...`` stands for the diff lines up to the next line
    the page shows (at least one)."""
    i = 0
    for k, line in enumerate(expected):
        if line == "...":
            following = expected[k + 1] if k + 1 < len(expected) else None
            start = i
            while i < len(actual) and actual[i] != following:
                if not DIFF_LINE.match(actual[i]):
                    return False
                i += 1
            if i == start:
                return False
            continue
        if i >= len(actual) or actual[i] != line:
            return False
        i += 1
    return i == len(actual)


def test_the_example_session_is_what_the_code_prints(
    jenkins_double: JenkinsDouble, tmp_path: Path
) -> None:
    # Yesterday's spec is on the controller; today's changes orders' build, adds search and
    # drops legacy (as the page says).
    yesterday = spec_text(names=["orders", "payments", "legacy"])
    today = spec_text(names=["orders", "payments", "search"]).replace(
        "{name: orders, repo: https://git.example.com/orders.git, build: make,",
        "{name: orders, repo: https://git.example.com/orders.git, build: make all,",
    )
    assert today != spec_text(names=["orders", "payments", "search"])
    (tmp_path / "yesterday.yaml").write_text(yesterday)
    (tmp_path / "jenkinsgen.yaml").write_text(today)
    env = {k: v for k, v in os.environ.items() if not k.startswith("JENKINS_")}

    def run(command: str) -> list[str]:
        args = command.replace(URL, jenkins_double.url).split()
        assert args[0] == "jenkinsgen", command
        done = subprocess.run(
            [sys.executable, "-m", "jenkinsgen.cli.main", *args[1:]],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return (done.stdout + done.stderr).splitlines()

    session = _session()
    assert [c.split()[1] for c, _ in session] == ["apply", "diff", "apply", "apply"]
    for command, expected in session:
        actual = run(command)
        assert _matches(expected, actual), f"docs/sync.md: `{command}` prints\n" + "\n".join(actual)
