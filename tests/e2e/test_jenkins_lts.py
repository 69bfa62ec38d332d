"""End to end against the real jenkins/jenkins LTS image: apply the example, run a build."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import jenkins
import pytest

from jenkinsgen.render import render_spec
from jenkinsgen.spec import load_spec
from tests.e2e.conftest import RealJenkins

pytestmark = [pytest.mark.e2e, pytest.mark.docker, pytest.mark.slow]

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "jenkinsgen.yaml"


def _apply(url: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "jenkinsgen.cli.main", "apply", str(EXAMPLE), "--url", url, *extra],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_example_applies_and_a_build_runs(real_jenkins: RealJenkins) -> None:
    first = _apply(real_jenkins.url)
    assert first.returncode == 0, first.stderr
    server = jenkins.Jenkins(real_jenkins.url)
    rendered = render_spec(load_spec(EXAMPLE))
    for item in rendered.items:
        assert server.job_exists(item.full_name), item.full_name
        assert item.digest in server.get_job_info(item.full_name)["description"]
    again = _apply(real_jenkins.url, "--verify")
    assert again.returncode == 0, again.stderr
    assert "unchanged" in again.stdout and "created" not in again.stdout
    job = next(i.full_name for i in rendered.items if i.kind == "pipeline")
    # the jobs run on label "docker": give the built-in node that label so a build can start
    # (it then fails at checkout, as git.example.com does not exist: the point is that it runs)
    server.run_script('Jenkins.instance.setLabelString("docker"); Jenkins.instance.save()')
    server.build_job(job)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        info = server.get_job_info(job)
        last = info.get("lastCompletedBuild")
        if last:
            build = server.get_build_info(job, last["number"])
            assert build["result"] in {"SUCCESS", "FAILURE", "UNSTABLE", "ABORTED"}
            break
        time.sleep(3)
    else:
        pytest.fail(f"no build of {job} completed")
