"""End to end against the real jenkins/jenkins LTS image (skips where it cannot be pulled):
a Git push webhook starts the job, on a controller that has never built it (issue 8, defect 6).

The rendered jobs are applied with ``jenkinsgen apply``; a secret-text credential holds the
push token. The webhook is POSTed as a Git server does (JSON push payload): with the token, a
push to ``develop`` starts exactly the dev job; a wrong token starts nothing; in the
multibranch layout the push starts the scan job, which schedules a scan of the project.

Glob environments (issue 8, defect 3): with staging on ``release/*``, a push to
``release/1.0`` of a real repository (served by ``git daemon`` on 127.0.0.1, which the
controller reaches over the host network) starts the staging job with ``BRANCH=release/1.0``,
and its build checks out that branch (its own marker file is what the Build stage prints);
pushes to ``release/1.0/x`` and ``releases/1`` start nothing; a start by hand with an empty
``BRANCH`` fails with the message that says how the job is started.
"""

from __future__ import annotations

import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jenkins
import pytest
import requests

from tests.dockerlib.fixtures import free_port
from tests.e2e.conftest import RealJenkins

pytestmark = [pytest.mark.e2e, pytest.mark.docker, pytest.mark.slow]

CREDENTIAL = "e2e-push-token"
SPEC = """\
version: 1
folder: {folder}
layout: {layout}
defaults:
  registry: registry.example.com/acme
  registry_credentials: registry-push
  push_credentials: {credential}
environments:
  - {{name: dev, branch: develop}}
  - {{name: prod, branch: main, deploy: manual, approvers: [ops]}}
services:
  - {{name: orders, repo: 'https://git.example.com/acme/orders.git', build: make}}
"""
ADD_CREDENTIAL = """\
import com.cloudbees.plugins.credentials.CredentialsScope
import com.cloudbees.plugins.credentials.SystemCredentialsProvider
import com.cloudbees.plugins.credentials.domains.Domain
import hudson.util.Secret
import org.jenkinsci.plugins.plaincredentials.impl.StringCredentialsImpl
SystemCredentialsProvider.getInstance().getStore().addCredentials(Domain.global(),
    new StringCredentialsImpl(CredentialsScope.GLOBAL, '{id}', 'push webhook token',
        Secret.fromString('{token}')))
println 'added'
"""


def _apply(url: str, spec: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "jenkinsgen.cli.main", "apply", str(spec), "--url", url],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr


def _push(url: str, item: str, ref: str, **auth: Any) -> requests.Response:
    payload = {"ref": ref, "after": "9fceb02d0ae598e95dc970b74767f19372d61af8"}
    return requests.post(
        f"{url}/generic-webhook-trigger/invoke",
        params={"item": item, **auth.get("params", {})},
        headers=auth.get("headers", {}),
        json=payload,
        timeout=30,
    )


def _builds(server: jenkins.Jenkins, job: str) -> list[dict[str, Any]]:
    return list(server.get_job_info(job).get("builds") or [])


def _wait_for_build(server: jenkins.Jenkins, job: str, timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        builds = _builds(server, job)
        if builds:
            return dict(server.get_build_info(job, builds[0]["number"]))
        time.sleep(2)
    pytest.fail(f"no build of {job} started")


@pytest.fixture(scope="module")
def push_token(real_jenkins: RealJenkins) -> str:
    token = secrets.token_hex(16)
    server = jenkins.Jenkins(real_jenkins.url)
    assert "added" in server.run_script(ADD_CREDENTIAL.format(id=CREDENTIAL, token=token))
    return token


def test_a_push_starts_the_environment_job_from_the_first_push(
    real_jenkins: RealJenkins, push_token: str, tmp_path: Path
) -> None:
    spec = tmp_path / "push.yaml"
    spec.write_text(
        SPEC.format(folder="e2e-push", layout="per-environment", credential=CREDENTIAL),
        encoding="utf-8",
    )
    _apply(real_jenkins.url, spec)
    server = jenkins.Jenkins(real_jenkins.url)
    for job in ("e2e-push/orders/dev", "e2e-push/orders/prod"):
        assert _builds(server, job) == [], "never built before the push"

    refused = _push(
        real_jenkins.url, "e2e-push/orders", "refs/heads/develop", params={"token": "wrong"}
    )
    assert refused.status_code == 404, refused.text
    accepted = _push(
        real_jenkins.url,
        "e2e-push/orders",
        "refs/heads/develop",
        headers={"Authorization": f"Bearer {push_token}"},
    )
    assert accepted.status_code == 200, accepted.text
    build = _wait_for_build(server, "e2e-push/orders/dev")
    causes = [
        cause.get("shortDescription")
        for action in build.get("actions", [])
        for cause in action.get("causes", []) or []
    ]
    assert "Push to refs/heads/develop" in causes
    time.sleep(5)  # give a wrongly matching job the time to show up
    assert _builds(server, "e2e-push/orders/prod") == []
    assert len(_builds(server, "e2e-push/orders/dev")) == 1, "the wrong token started nothing"


def test_a_push_scans_the_multibranch_project(
    real_jenkins: RealJenkins, push_token: str, tmp_path: Path
) -> None:
    spec = tmp_path / "push-mb.yaml"
    spec.write_text(
        SPEC.format(folder="e2e-push-mb", layout="multibranch", credential=CREDENTIAL),
        encoding="utf-8",
    )
    _apply(real_jenkins.url, spec)
    server = jenkins.Jenkins(real_jenkins.url)
    accepted = _push(
        real_jenkins.url,
        "e2e-push-mb/orders",
        "refs/heads/feature/x",
        params={"token": push_token},
    )
    assert accepted.status_code == 200, accepted.text
    build = _wait_for_build(server, "e2e-push-mb/orders-scan")
    deadline = time.monotonic() + 120
    while build.get("building") and time.monotonic() < deadline:
        time.sleep(2)
        build = dict(server.get_build_info("e2e-push-mb/orders-scan", build["number"]))
    assert build.get("result") == "SUCCESS"
    console = server.get_build_console_output("e2e-push-mb/orders-scan", build["number"])
    assert "Scheduling item" in console


GLOB_SPEC = """\
version: 1
folder: e2e-glob
defaults:
  agent: built-in
  registry: registry.example.com/acme
  registry_credentials: registry-push
  push_credentials: {credential}
environments:
  - {{name: dev, branch: develop}}
  - {{name: staging, branch: 'release/*'}}
services:
  - {{name: orders, repo: '{repo}', build: 'cat marker.txt'}}
"""
GLOB_BRANCHES = ("develop", "release/1.0", "release/2.0", "release/1.0/x", "releases/1")


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=e2e", "-c", "user.email=e2e@example.com", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        timeout=60,
    )


@pytest.fixture
def git_server(tmp_path: Path) -> Iterator[str]:
    """A repository with a marker file per branch, served read-only by ``git daemon`` on
    127.0.0.1 (stopped afterwards, pass or fail); yields its git:// URL."""
    work = tmp_path / "work"
    work.mkdir()
    _git(work, "init", "-q", "-b", "main")
    (work / "marker.txt").write_text("built from main\n", encoding="utf-8")
    _git(work, "add", "marker.txt")
    _git(work, "commit", "-q", "-m", "main")
    for branch in GLOB_BRANCHES:
        if branch == "release/1.0/x":
            continue  # a ref cannot be both release/1.0 and a directory above release/1.0/x
        _git(work, "checkout", "-q", "-b", branch, "main")
        (work / "marker.txt").write_text(f"built from {branch}\n", encoding="utf-8")
        _git(work, "commit", "-q", "-am", branch)
    served = tmp_path / "served"
    served.mkdir()
    _git(tmp_path, "clone", "-q", "--bare", str(work), str(served / "orders.git"))
    port = free_port()
    daemon = subprocess.Popen(
        ["git", "daemon", "--reuseaddr", "--listen=127.0.0.1", f"--port={port}",
         f"--base-path={served}", "--export-all", str(served)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        yield f"git://127.0.0.1:{port}/orders.git"
    finally:
        daemon.terminate()
        daemon.wait(timeout=30)


def _finished(
    server: jenkins.Jenkins, job: str, number: int, timeout: float = 300
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        build = dict(server.get_build_info(job, number))
        if not build.get("building"):
            return build
        time.sleep(2)
    pytest.fail(f"{job} #{number} did not finish")


def _parameters(build: dict[str, Any]) -> dict[str, Any]:
    return {
        p.get("name"): p.get("value")
        for action in build.get("actions", [])
        for p in action.get("parameters", []) or []
    }


def test_a_push_to_a_release_branch_builds_that_branch(
    real_jenkins: RealJenkins, push_token: str, git_server: str, tmp_path: Path
) -> None:
    spec = tmp_path / "glob.yaml"
    spec.write_text(GLOB_SPEC.format(credential=CREDENTIAL, repo=git_server), encoding="utf-8")
    _apply(real_jenkins.url, spec)
    server = jenkins.Jenkins(real_jenkins.url)
    staging = "e2e-glob/orders/staging"
    for ref in ("refs/heads/release/1.0/x", "refs/heads/releases/1"):
        response = _push(real_jenkins.url, "e2e-glob/orders", ref, params={"token": push_token})
        assert response.status_code == 200, response.text
    accepted = _push(
        real_jenkins.url, "e2e-glob/orders", "refs/heads/release/1.0", params={"token": push_token}
    )
    assert accepted.status_code == 200, accepted.text
    build = _finished(server, staging, _wait_for_build(server, staging)["number"])
    assert _parameters(build).get("BRANCH") == "release/1.0"
    console = server.get_build_console_output(staging, build["number"])
    assert "built from release/1.0" in console, console[-3000:]
    assert "origin/release/1.0" in console
    time.sleep(5)  # give a wrongly matching push the time to show up
    assert len(_builds(server, staging)) == 1, "release/1.0/x and releases/1 started nothing"
    assert _builds(server, "e2e-glob/orders/dev") == []

    number = server.get_job_info(staging)["nextBuildNumber"]
    server.build_job(staging, {"BRANCH": ""})
    deadline = time.monotonic() + 120
    while number not in [b["number"] for b in _builds(server, staging)]:
        assert time.monotonic() < deadline, "the build by hand did not start"
        time.sleep(2)
    by_hand = _finished(server, staging, number)
    assert by_hand.get("result") == "FAILURE"
    console = server.get_build_console_output(staging, number)
    assert "No branch to build: BRANCH is empty." in console
    assert "Checking out" not in console
