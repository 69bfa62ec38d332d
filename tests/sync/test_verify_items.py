"""``--verify`` reads what Jenkins stores, item by item: one bad item is its own error.

Jenkins writes control characters as XML 1.1 character references (``&#x7;``); a hand edit
that puts one in a job is drift like any other. A config.xml that cannot be parsed at all
is an error for that item only: the others are still verified and applied.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.jenkins_double import JenkinsDouble, Request, Response
from tests.sync.helpers import spec_text

EDITED = "delivery/s0/dev"
BROKEN = "delivery/s1/prod"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JENKINS_")}
    return subprocess.run(
        [sys.executable, "-m", "jenkinsgen.cli.main", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def _applied(double: JenkinsDouble, tmp_path: Path) -> Path:
    spec = tmp_path / "jenkinsgen.yaml"
    spec.write_text(spec_text(services=2))
    first = _run("apply", str(spec), "--url", double.url)
    assert first.returncode == 0, first.stderr
    return spec


def _edit_with_a_control_character(double: JenkinsDouble) -> None:
    double.edit_config(EDITED, lambda x: x.replace(b"<script>", b"<script>// bell&#x7;\n", 1))
    assert b"// bell&#x7;" in double.config(EDITED)  # stored the way Jenkins stores it


def _break_config_of(double: JenkinsDouble, name: str) -> None:
    path = "".join(f"job/{p}/" for p in name.split("/")) + "config.xml"

    def hook(req: Request) -> Response | None:
        if req.method == "GET" and req.path == path:
            return Response.xml(b"<?xml version='1.1' encoding='UTF-8'?>\n<flow-definition>")
        return None

    double.before_request(hook)


def test_verify_finds_a_hand_edit_holding_a_control_character(
    jenkins_double: JenkinsDouble, tmp_path: Path
) -> None:
    spec = _applied(jenkins_double, tmp_path)
    _edit_with_a_control_character(jenkins_double)
    out = _run("apply", str(spec), "--url", jenkins_double.url, "--verify")
    assert out.returncode == 0, out.stderr
    assert "1 repaired, 6 unchanged" in out.stdout
    assert b"bell" not in jenkins_double.config(EDITED)
    again = _run("diff", str(spec), "--url", jenkins_double.url, "--verify")
    assert again.returncode == 0 and "drift" not in again.stdout


def test_one_unreadable_config_fails_that_item_only(
    jenkins_double: JenkinsDouble, tmp_path: Path
) -> None:
    spec = _applied(jenkins_double, tmp_path)
    _edit_with_a_control_character(jenkins_double)
    _break_config_of(jenkins_double, BROKEN)
    diff = _run("diff", str(spec), "--url", jenkins_double.url, "--verify")
    assert diff.returncode == 0 and "Traceback" not in diff.stderr
    lines = diff.stdout.splitlines()
    assert "        drift  delivery/s0/dev  (edited by hand)" in lines
    assert any(
        line.startswith(f"   unverified  {BROKEN}  (cannot verify: config.xml is not well-formed")
        for line in lines
    ), diff.stdout
    out = _run("apply", str(spec), "--url", jenkins_double.url, "--verify")
    assert out.returncode == 1 and "Traceback" not in out.stderr
    [error] = out.stderr.splitlines()
    assert error.startswith(f"error: {BROKEN}: cannot verify: config.xml is not well-formed")
    assert "1 repaired, 5 unchanged, 1 not verified, 1 failed" in out.stdout
    assert b"bell" not in jenkins_double.config(EDITED)  # the rest was applied
    data = json.loads(
        _run("apply", str(spec), "--url", jenkins_double.url, "--verify", "--output", "json").stdout
    )
    by_name = {i["name"]: i for i in data["items"]}
    assert by_name[BROKEN]["action"] == "unverified" and by_name[BROKEN]["status"] == "failed"
    assert data["ok"] is False
