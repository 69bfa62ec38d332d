"""End to end against the real jenkins/jenkins LTS image (skips where it cannot be pulled):
a Git push webhook starts the job, on a controller that has never built it (issue 8, defect 6).

The rendered jobs are applied with ``jenkinsgen apply``; a secret-text credential holds the
push token. The webhook is POSTed as a Git server does (JSON push payload): with the token, a
push to ``develop`` starts exactly the dev job; a wrong token starts nothing; in the
multibranch layout the push starts the scan job, which schedules a scan of the project.
"""

from __future__ import annotations

import secrets
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import jenkins
import pytest
import requests

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
