"""The Release stages of the rendered Jenkinsfile: their order of calls on each answer.

Each Jenkinsfile is parsed by Groovy 2.4 and then run by tests/release/pipeline_sim.groovy, a
stand-in for Declarative's structure with stubbed steps (not a Jenkins): it evaluates the
``when`` conditions, counts the agents held, answers the ``input`` as the scenario says and
reports every ``sh``, ``input``, ``echo`` and ``error`` in order.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jenkinsgen.plan import plan
from jenkinsgen.render.jenkinsfile import render_jenkinsfile
from jenkinsgen.spec import Spec, load_spec_text
from tests.release.harness import kind
from tests.render.groovy_ast import DEFAULT_JAVA_HOME, GroovyParser, find_groovy

SIM = Path(__file__).with_name("pipeline_sim.groovy")
URL = "https://deploy.example.com/releases/20250101-000000-abcdef"

SPEC = """\
version: 1
folder: delivery
layout: {layout}
defaults: {{registry: registry.example.com/acme, registry_credentials: registry-push}}
environments:
  - name: staging
    branch: release/*
    release:
      confirm: auto
      ports: 21000-21099
      proxy: {{listen: "127.0.0.1:8470", admin_socket: /run/jg/st.sock, config: /etc/jg/st.cfg}}
      state_dir: /var/lib/jenkinsgen/staging
  - name: prod
    branch: main
    deploy: {prod_deploy}
    approvers: [release-managers, ops]
    approval_timeout_minutes: 30
    release:
      confirm: {prod_confirm}
      ports: 22000-22099
      drain_timeout: 600
      proxy: {{listen: "127.0.0.1:8480", admin_socket: /run/jg/prod.sock, config: /etc/jg/prod.cfg}}
      state_dir: /var/lib/jenkinsgen/prod
services:
  - name: orders
    repo: https://git.example.com/acme/orders.git
    build: make
    trigger: {{webhook: "https://deploy.example.com/hooks/orders", credentials: deploy-token}}
    run: {{health_timeout: 120}}
"""


def release_spec(
    layout: str = "per-environment", prod_deploy: str = "manual", prod_confirm: str = "manual"
) -> Spec:
    text = SPEC.format(layout=layout, prod_deploy=prod_deploy, prod_confirm=prod_confirm)
    return load_spec_text(text, "release.yaml")


@pytest.fixture(scope="module")
def groovy() -> Iterator[GroovyParser]:
    launcher = find_groovy()
    if launcher is None:
        pytest.fail("groovy not found on PATH (Debian package 'groovy')")
    parser = GroovyParser(launcher)
    try:
        yield parser
    finally:
        parser.close()


def jenkinsfile(s: Spec, env: str | None = None) -> str:
    p = plan(s)
    for job in p.jobs:
        if job.service is not None and (env is None or job.environments[0].name == env):
            return render_jenkinsfile(p, job)
    raise LookupError(env)


def simulate(
    text: str,
    tmp: Path,
    answer: str = "Confirm",
    status: str = "awaiting-confirm",
    branch: str = "main",
) -> list[dict[str, Any]]:
    (tmp / "Jenkinsfile").write_text(text, encoding="utf-8")
    scenario = {
        "branch": branch,
        "answer": answer,
        "files": {".jenkinsgen-release.url": URL, ".jenkinsgen-release.status": status},
    }
    (tmp / "scenario.json").write_text(json.dumps(scenario), encoding="utf-8")
    proc = subprocess.run(
        ["groovy", str(SIM), str(tmp / "Jenkinsfile"), str(tmp / "scenario.json")],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "JAVA_HOME": os.environ.get("JAVA_HOME") or DEFAULT_JAVA_HOME},
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return [json.loads(line) for line in proc.stdout.splitlines()]


def calls(events: list[dict[str, Any]]) -> list[str]:
    """The release-relevant calls in order: sh kinds, inputs, errors, the result."""
    out = []
    for e in events:
        if e["event"] == "sh" and kind(e["script"]) != "other":
            action = e["env"].get("JENKINSGEN_RELEASE_ACTION")
            out.append(f"sh:{kind(e['script'])}" + (f"({action})" if action else ""))
        elif e["event"] in ("input", "echo", "error"):
            out.append(e["event"])
        elif e["event"] == "end":
            out.append(e["result"])
    return out


def test_release_jenkinsfiles_parse_with_groovy_2_4(groovy: GroovyParser) -> None:
    for layout in ("per-environment", "multibranch"):
        s = release_spec(layout)
        p = plan(s)
        for job in p.jobs:
            summary = groovy.parse(render_jenkinsfile(p, job))
            assert summary.ok, summary.errors
            assert summary.gstrings == 0


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("Confirm", ["sh:trigger", "sh:wait-switch", "input", "sh:settle(confirm)", "SUCCESS"]),
        (
            "Roll back",
            ["sh:trigger", "sh:wait-switch", "input", "sh:settle(rollback)", "error", "FAILURE"],
        ),
        (
            "timeout",
            [
                "sh:trigger",
                "sh:wait-switch",
                "input",
                "echo",
                "sh:settle(rollback)",
                "error",
                "FAILURE",
            ],
        ),
    ],
)
def test_manual_confirm_order_of_calls_on_each_answer(
    tmp_path: Path, answer: str, expected: list[str]
) -> None:
    events = simulate(jenkinsfile(release_spec(), "prod"), tmp_path, answer=answer)
    assert calls(events) == expected
    [ask] = [e for e in events if e["event"] == "input"]
    assert ask["agents"] == 0, "an executor is held while waiting on a person"
    assert ask["submitter"] == "release-managers,ops"
    assert ask["choices"] == ["Confirm", "Roll back"]
    assert all(e["agents"] >= 1 for e in events if e["event"] in ("sh", "readFile"))
    [settle] = [e for e in events if e["event"] == "sh" and kind(e["script"]) == "settle"]
    assert settle["env"]["JENKINSGEN_RELEASE_URL"] == URL
    if answer != "Confirm":
        [end] = [e for e in events if e["event"] == "end"]
        assert end["message"] == "Rolled back: the previous version serves prod again"


def test_a_first_release_is_not_asked_about(tmp_path: Path) -> None:
    events = simulate(jenkinsfile(release_spec(), "prod"), tmp_path, status="confirmed")
    assert calls(events) == ["sh:trigger", "sh:wait-switch", "SUCCESS"]
    skipped = [e["stage"] for e in events if e["event"] == "skip"]
    assert skipped == ["Confirm release (prod)", "Settle release (prod)"]


def test_auto_confirm_waits_for_confirmed_on_the_agent(tmp_path: Path) -> None:
    text = jenkinsfile(release_spec(), "staging")
    assert "agent none" not in text and "Confirm release" not in text
    events = simulate(text, tmp_path, status="confirmed", branch="release/1")
    assert calls(events) == ["sh:trigger", "sh:wait-confirmed", "SUCCESS"]


def test_auto_deploy_with_manual_confirm_still_asks(tmp_path: Path) -> None:
    events = simulate(jenkinsfile(release_spec(prod_deploy="auto"), "prod"), tmp_path)
    auto = simulate(
        jenkinsfile(release_spec(prod_confirm="auto"), "prod"), tmp_path, status="confirmed"
    )
    assert calls(auto) == ["sh:trigger", "sh:wait-confirmed", "SUCCESS"]
    assert calls(events) == [
        "sh:trigger",
        "sh:wait-switch",
        "input",
        "sh:settle(confirm)",
        "SUCCESS",
    ]
    assert not [e for e in events if e["event"] == "input-directive"]


@pytest.mark.parametrize(
    ("branch", "expected"),
    [
        (
            "main",
            ["sh:trigger", "sh:wait-switch", "input", "sh:settle(rollback)", "error", "FAILURE"],
        ),
        ("release/2.1", ["sh:trigger", "sh:wait-confirmed", "SUCCESS"]),
        ("feature/x", ["SUCCESS"]),
    ],
)
def test_multibranch_runs_the_release_stages_of_the_branchs_environment(
    tmp_path: Path, branch: str, expected: list[str]
) -> None:
    text = jenkinsfile(release_spec("multibranch"))
    status = "awaiting-confirm" if branch == "main" else "confirmed"
    events = simulate(text, tmp_path, answer="Roll back", status=status, branch=branch)
    assert calls(events) == expected
    assert all(e["agents"] == 0 for e in events if e["event"] == "input")


def test_the_wait_timeout_covers_health_and_drain() -> None:
    prod = jenkinsfile(release_spec(), "prod")
    # health_timeout 120 s: 2 + 10 minutes to switch; settle adds drain_timeout 600 s
    assert "timeout(time: 12, unit: 'MINUTES')" in prod
    assert "timeout(time: 22, unit: 'MINUTES')" in prod
    assert "timeout(time: 30, unit: 'MINUTES')" in prod  # the approvers' time
