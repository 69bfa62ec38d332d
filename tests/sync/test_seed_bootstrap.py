"""The bootstrap: apply once by hand, then the seed job's own Apply stage keeps Jenkins in step.

The seed job's Apply stage is taken from the rendered seed Jenkinsfile and run with bash in a
workspace, as the seed image runs it inside ``withCredentials`` (JENKINS_USER /
JENKINS_API_TOKEN in the environment, SEED_JENKINS_URL from the pipeline's environment), with
this checkout's jenkinsgen first on PATH in place of the image's (tests/images/test_seed_image.py
runs the same script inside the real seed image).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from jenkinsgen.render import render_spec
from jenkinsgen.spec import load_spec
from tests.jenkins_double import JenkinsDouble
from tests.sync.helpers import freestyle, spec_text

SEED = (
    "seed: {repo: https://git.example.com/platform/config.git, jenkins_credentials: jg-api,\n"
    "       jenkins_url: https://jenkins.example.com/}\n"
)
CREDS = {"JENKINS_USER": "admin", "JENKINS_API_TOKEN": "admin-token"}


def _apply_stage(jenkinsfile: str) -> str:
    match = re.search(r"withCredentials\(.*?\{\s*sh '''(.*?)'''", jenkinsfile, re.S)
    assert match, "the seed Jenkinsfile has no Apply stage inside withCredentials"
    return match.group(1).replace("\\'", "'").replace("\\\\", "\\")


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JENKINS_")}
    env["PATH"] = f"{Path(sys.prefix) / 'bin'}:{env.get('PATH', '')}"
    env.update(extra)
    return env


def test_bootstrap_by_hand_then_seed_applies_with_prune(
    secured_jenkins_double: JenkinsDouble, tmp_path: Path
) -> None:
    double = secured_jenkins_double
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    spec = workspace / "jenkinsgen.yaml"
    spec.write_text(spec_text(services=3) + SEED)

    by_hand = subprocess.run(
        [sys.executable, "-m", "jenkinsgen.cli.main", "apply", str(spec), "--url", double.url],
        capture_output=True,
        text=True,
        env=_env(**CREDS),
        timeout=120,
    )
    assert by_hand.returncode == 0, by_hand.stderr
    seed = next(i for i in render_spec(load_spec(spec)).items if i.kind == "seed")
    assert double.item(seed.full_name) is not None
    double.put_item("delivery/handmade", freestyle())

    # a push removes a service and changes a build: the seed job runs its Apply stage
    spec.write_text(spec_text(services=2, build="make all") + SEED)
    assert seed.jenkinsfile is not None
    script = _apply_stage(seed.jenkinsfile)
    assert "--prune" in script
    run = subprocess.run(
        ["bash", "-c", script],
        cwd=workspace,
        capture_output=True,
        text=True,
        timeout=120,
        env=_env(SEED_JENKINS_URL=double.url + "/", **CREDS),
    )
    assert run.returncode == 0, run.stderr
    assert "admin-token" not in run.stdout + run.stderr
    names = set(double.job_names())
    assert not any(n.startswith("delivery/s2") for n in names)
    assert {seed.full_name, "delivery/handmade", "delivery/s1/prod"} <= names
    assert b"make all" in double.config("delivery/s0/dev")
    again = subprocess.run(
        ["bash", "-c", script],
        cwd=workspace,
        capture_output=True,
        text=True,
        timeout=120,
        env=_env(SEED_JENKINS_URL=double.url + "/", **CREDS),
    )
    assert again.returncode == 0 and "created" not in again.stdout
    assert "updated" not in again.stdout and "(1 request)" in again.stdout
