"""The delivery stages of the rendered Jenkinsfile: their order of calls on each answer.

Each Jenkinsfile is parsed by Groovy 2.4 and then run by tests/release/pipeline_sim.groovy, a
stand-in for Declarative's structure with stubbed steps (not a Jenkins): it evaluates the
``when`` conditions, counts the agents held and the workspaces taken, keeps the timeouts in
force, answers the ``input`` steps as the scenario says and reports every ``sh``, ``input``,
``readFile``, ``echo`` and ``error`` in order.

Besides the order of calls, every run checks the pipeline's shape rules: every ``sh`` and
``readFile`` holds an agent and every ``input`` holds none; each of them is under exactly one
timeout (its own: no pipeline-wide one around a wait); a file is read only in the workspace
of the stage that wrote it.
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
    branch: {staging_branch}
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
    text = SPEC.format(
        layout=layout,
        prod_deploy=prod_deploy,
        prod_confirm=prod_confirm,
        staging_branch="release/*" if layout == "multibranch" else "release",
    )
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
    approval: str = "Deploy",
) -> list[dict[str, Any]]:
    (tmp / "Jenkinsfile").write_text(text, encoding="utf-8")
    scenario = {
        "branch": branch,
        "approval": approval,
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
    events = [json.loads(line) for line in proc.stdout.splitlines()]
    check_shape(events)
    return events


def check_shape(events: list[dict[str, Any]]) -> None:
    """No executor held on a person, an agent for every script, one timeout around each wait
    and each script, files read where they were written."""
    written: dict[str, int] = {}
    for e in events:
        if e["event"] == "input":
            assert e["agents"] == 0, f"an executor is held while waiting on a person: {e}"
            assert len(e["timeouts"]) == 1, f"an input not under its own timeout alone: {e}"
        elif e["event"] == "sh":
            assert e["agents"] >= 1 and e["workspace"] is not None, f"sh without an agent: {e}"
            assert len(e["timeouts"]) == 1, f"a script not under exactly one timeout: {e}"
            what = kind(e["script"])
            if what == "trigger":
                written[".jenkinsgen-release.url"] = e["workspace"]
            elif what.startswith("wait"):
                written[".jenkinsgen-release.status"] = e["workspace"]
        elif e["event"] == "readFile":
            assert e["agents"] >= 1, f"readFile without an agent: {e}"
            assert written.get(e["path"]) == e["workspace"], f"{e['path']} read elsewhere: {e}"


def calls(events: list[dict[str, Any]]) -> list[str]:
    """The delivery calls in order: sh kinds, inputs (approve / ask), errors, the result."""
    out = []
    for e in events:
        if e["event"] == "sh" and kind(e["script"]) != "other":
            action = e["env"].get("JENKINSGEN_RELEASE_ACTION")
            out.append(f"sh:{kind(e['script'])}" + (f"({action})" if action else ""))
        elif e["event"] == "input":
            out.append("approve" if e["kind"] == "approval" else "ask")
        elif e["event"] in ("echo", "error"):
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
        (
            "Confirm",
            ["approve", "sh:trigger", "sh:wait-switch", "ask", "sh:settle(confirm)", "SUCCESS"],
        ),
        (
            "Roll back",
            [
                "approve",
                "sh:trigger",
                "sh:wait-switch",
                "ask",
                "sh:settle(rollback)",
                "error",
                "FAILURE",
            ],
        ),
        (
            "timeout",
            [
                "approve",
                "sh:trigger",
                "sh:wait-switch",
                "ask",
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
    approve, ask = [e for e in events if e["event"] == "input"]
    assert approve["agents"] == ask["agents"] == 0, "an executor is held while waiting on a person"
    assert approve["submitter"] == ask["submitter"] == "release-managers,ops"
    assert approve["timeouts"] == ask["timeouts"] == [30]  # the approvers' time, nothing else
    assert ask["choices"] == ["Confirm", "Roll back"]
    [settle] = [e for e in events if e["event"] == "sh" and kind(e["script"]) == "settle"]
    assert settle["env"]["JENKINSGEN_RELEASE_URL"] == URL
    if answer != "Confirm":
        [end] = [e for e in events if e["event"] == "end"]
        assert end["message"] == "Rolled back: the previous version serves prod again"


def test_a_first_release_is_not_asked_about(tmp_path: Path) -> None:
    events = simulate(jenkinsfile(release_spec(), "prod"), tmp_path, status="confirmed")
    assert calls(events) == ["approve", "sh:trigger", "sh:wait-switch", "SUCCESS"]
    skipped = [e["stage"] for e in events if e["event"] == "skip"]
    assert skipped == ["Confirm release (prod)", "Settle release (prod)"]


def test_an_approval_not_given_triggers_nothing(tmp_path: Path) -> None:
    events = simulate(jenkinsfile(release_spec(), "prod"), tmp_path, approval="abort")
    assert calls(events) == ["approve", "ABORTED"]
    entered = [e["stage"] for e in events if e["event"] == "stage"]
    assert entered[-1] == "Approve (prod)"


def test_auto_confirm_waits_for_confirmed_on_an_agent(tmp_path: Path) -> None:
    text = jenkinsfile(release_spec(), "staging")
    assert "input" not in text and "Confirm release" not in text
    events = simulate(text, tmp_path, status="confirmed", branch="release")
    assert calls(events) == ["sh:trigger", "sh:wait-confirmed", "SUCCESS"]
    trigger, wait = [e for e in events if e["event"] == "sh" and kind(e["script"]) != "other"]
    # the trigger is the last step of "Build and publish"; the wait has an agent of its own,
    # under its own timeout (health 120 s + drain 300 s: 7 + 10 minutes), not the build's 60
    assert trigger["timeouts"] == [60] and wait["timeouts"] == [17]
    assert trigger["workspace"] != wait["workspace"]
    assert wait["env"]["JENKINSGEN_RELEASE_URL"] == URL


def test_auto_deploy_with_manual_confirm_still_asks(tmp_path: Path) -> None:
    events = simulate(jenkinsfile(release_spec(prod_deploy="auto"), "prod"), tmp_path)
    auto = simulate(
        jenkinsfile(release_spec(prod_confirm="auto"), "prod"), tmp_path, status="confirmed"
    )
    # deploy: manual, confirm: auto: the approvers approve the deploy, then it confirms itself
    assert calls(auto) == ["approve", "sh:trigger", "sh:wait-confirmed", "SUCCESS"]
    assert calls(events) == [
        "sh:trigger",
        "sh:wait-switch",
        "ask",
        "sh:settle(confirm)",
        "SUCCESS",
    ]
    assert not [e for e in events if e["event"] == "input-directive"]


@pytest.mark.parametrize(
    ("branch", "expected"),
    [
        (
            "main",
            [
                "approve",
                "sh:trigger",
                "sh:wait-switch",
                "ask",
                "sh:settle(rollback)",
                "error",
                "FAILURE",
            ],
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


BAD_SHAPES = {
    # a pipeline-wide agent: the approval holds an executor
    "an executor is held": """pipeline {
    agent { label 'docker' }
    stages {
        stage('Approve') {
            steps { timeout(time: 60, unit: 'MINUTES') { input message: 'Deploy?' } }
        }
    }
}
""",
    # a pipeline-wide timeout: it cuts the approvers' own time short
    "not under its own timeout alone": """pipeline {
    agent none
    options { timeout(time: 45, unit: 'MINUTES') }
    stages {
        stage('Approve') {
            steps { timeout(time: 60, unit: 'MINUTES') { input message: 'Deploy?' } }
        }
    }
}
""",
    # a script with no agent
    "sh without an agent": """pipeline {
    agent none
    stages {
        stage('Trigger') { steps { sh 'true' } }
    }
}
""",
    # the release URL read on another agent than the trigger's
    "read elsewhere": """pipeline {
    agent none
    stages {
        stage('Trigger') {
            agent { label 'docker' }
            options { timeout(time: 5, unit: 'MINUTES') }
            steps { sh 'echo "$DEPLOY_WEBHOOK"' }
        }
        stage('Read') {
            agent { label 'docker' }
            options { timeout(time: 5, unit: 'MINUTES') }
            steps { script { env.JENKINSGEN_RELEASE_URL = readFile('.jenkinsgen-release.url') } }
        }
    }
}
""",
}


@pytest.mark.parametrize("case", sorted(BAD_SHAPES))
def test_the_shape_checks_catch_a_bad_pipeline(tmp_path: Path, case: str) -> None:
    with pytest.raises(AssertionError, match=case):
        simulate(BAD_SHAPES[case], tmp_path)
