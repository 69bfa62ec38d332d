"""Every generated Jenkinsfile has the shape Declarative Pipeline accepts.

Jenkins' own Declarative validator needs a controller; this checks, from the Groovy AST, the
documented rules it enforces that a template could break: where each section and directive may
appear, one of ``steps`` / ``stages`` per stage, stage names unique in the whole pipeline, and
at most one of each section per block.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from jenkinsgen.render.jenkinsfile import render_jenkinsfile
from jenkinsgen.spec import load_spec, model
from tests.render.groovy_ast import Call, GroovyParser
from tests.render.jenkinsfile_specs import jobs, release_spec, service, spec

ROOT = Path(__file__).resolve().parent.parent.parent

#: Where each name may appear: the name of the block it must sit directly in.
PARENTS: dict[str, set[str | None]] = {
    "pipeline": {None},
    "agent": {"pipeline", "stage"},
    "options": {"pipeline", "stage"},
    "environment": {"pipeline", "stage"},
    "stages": {"pipeline", "stage"},
    "post": {"pipeline", "stage"},
    "stage": {"stages"},
    "steps": {"stage"},
    "when": {"stage"},
    "beforeAgent": {"when"},
    "input": {"stage", "timeout"},
    "always": {"post"},
    "label": {"agent", "docker"},
    "docker": {"agent"},
    "image": {"docker"},
    "reuseNode": {"docker"},
    "registryUrl": {"docker"},
    "args": {"docker"},
    "registryCredentialsId": {"docker"},
    "timestamps": {"options"},
    "buildDiscarder": {"options"},
    "disableConcurrentBuilds": {"options"},
    "skipDefaultCheckout": {"options"},
    "timeout": {"options", "steps", "script"},
    "logRotator": {"buildDiscarder"},
    "branch": {"when"},
    "message": {"input"},
    "ok": {"input"},
    "submitter": {"input"},
    "git": {"steps"},
    "checkout": {"steps"},
    "build": {"steps"},
    "script": {"steps"},
    "trim": {"script"},
    "sh": {"steps", "withCredentials", "script"},
    "junit": {"always"},
    "withCredentials": {"steps"},
    "usernamePassword": {"withCredentials"},
    "string": {"withCredentials"},
    # The Release stages (environments with a release block).
    "readFile": {"script"},
    # The Branch stage of a glob environment (per-environment layout): Groovy inside script.
    "matches": {"script"},
    "expression": {"when"},
    "choice": {"input"},
    "echo": {"script"},
    "error": {"script"},
}
#: Sections that may appear at most once in one block.
ONCE = {"agent", "options", "environment", "stages", "post", "steps", "when", "input", "always"}


@dataclass
class Node:
    call: Call
    children: list[Node] = field(default_factory=list)


def tree(calls: tuple[Call, ...]) -> list[Node]:
    """The calls as a tree, from their order and the calls each sits in."""
    roots: list[Node] = []
    stack: list[Node] = []
    for call in calls:
        node = Node(call)
        depth = len(call.within)
        del stack[depth:]
        assert len(stack) == depth, f"{call.name} at depth {depth} has no parent"
        assert tuple(n.call.name for n in stack) == call.within
        (stack[-1].children if stack else roots).append(node)
        stack.append(node)
    return roots


def check_block(node: Node, stage_names: list[str]) -> None:
    counts = Counter(c.call.name for c in node.children)
    for name in ONCE:
        assert counts[name] <= 1, f"{node.call.name} {node.call.args}: {name} twice"
    if node.call.name == "stage":
        stage_names.append(node.call.args[0])
        assert (counts["steps"] == 1) != (counts["stages"] == 1), (
            f"stage {node.call.args}: needs exactly one of steps / stages"
        )
    if node.call.name == "stages":
        assert counts["stage"] >= 1 and set(counts) == {"stage"}
    if node.call.name == "input" and node.call.parent == "stage":  # the directive
        assert counts["message"] == 1
    for child in node.children:
        assert child.call.name in PARENTS, f"unexpected call {child.call.name}"
        assert node.call.name in PARENTS[child.call.name], (
            f"{child.call.name} may not appear in {node.call.name}"
        )
        check_block(child, stage_names)


def holds_agent(node: Node) -> bool:
    """``agent { ... }`` with a label or a container, not ``agent none``."""
    return any(c.call.name == "agent" and c.children for c in node.children)


def calls_by_agent(node: Node, held: bool = False) -> list[tuple[Call, bool]]:
    """Every call with whether some enclosing pipeline or stage holds an agent there."""
    held = held or (node.call.name in ("pipeline", "stage") and holds_agent(node))
    found = [(node.call, held)]
    for child in node.children:
        found += calls_by_agent(child, held)
    return found


def inputs_under_an_agent(node: Node) -> list[Call]:
    """Every ``input`` reached while some enclosing pipeline or stage holds an agent."""
    return [call for call, held in calls_by_agent(node) if call.name == "input" and held]


def steps_without_an_agent(node: Node) -> list[Call]:
    """Every ``sh`` or ``readFile`` (they need a workspace) reached with no agent held."""
    return [
        call for call, held in calls_by_agent(node) if call.name in ("sh", "readFile") and not held
    ]


SPECS = {
    "per-environment": spec(),
    "multibranch": spec(layout="multibranch"),
    "multibranch-push": spec(layout="multibranch", push_credentials="hook"),
    "container": spec(container="maven:3.9"),
    "multibranch-container": spec(layout="multibranch", container="maven:3.9"),
    "minimal": spec(service(test=None, trigger=None, repo_credentials=None)),
    "no-junit-no-token": spec(
        service(
            test=model.TestStep(command="make check"),
            trigger=model.Trigger(webhook="https://deploy.example.com/h"),
        ),
        layout="multibranch",
    ),
    "release": release_spec(),
    "multibranch-release": release_spec(layout="multibranch"),
    # What users start from, and every golden case (glob branches with the push trigger,
    # releases, seed, clouds): each combination the templates can be asked for.
    "example": load_spec(ROOT / "examples" / "jenkinsgen.yaml"),
    **{
        f"golden-{path.parent.name}": load_spec(path)
        for path in sorted((ROOT / "tests" / "golden").glob("*/spec.yaml"))
    },
}


@pytest.mark.parametrize("case", sorted(SPECS))
def test_every_jenkinsfile_has_a_declarative_shape(groovy: GroovyParser, case: str) -> None:
    p, all_jobs = jobs(SPECS[case])
    for j in all_jobs:
        summary = groovy.parse(render_jenkinsfile(p, j))
        assert summary.ok, summary.errors
        [root] = tree(summary.calls)
        assert root.call.name == "pipeline"
        top = Counter(c.call.name for c in root.children)
        assert top["agent"] == 1 and top["stages"] == 1
        names: list[str] = []
        check_block(root, names)
        assert len(names) == len(set(names)), f"duplicate stage names in {j.path}: {names}"
        assert not steps_without_an_agent(root), f"{j.path}: a script without an agent"
        for call, _ in calls_by_agent(root):
            if call.name == "input":
                assert "timeout" in call.within, f"{j.path}: an input with no timeout of its own"
        if j.kind != "seed":  # the seed has no approval (its template is the images' part)
            assert not holds_agent(root), f"{j.path}: a pipeline-wide agent"
            assert not inputs_under_an_agent(root), f"{j.path}: an approval holds an executor"
            [options] = [c for c in root.children if c.call.name == "options"]
            pipeline_wide = {c.call.name for c in options.children}
            assert "timeout" not in pipeline_wide, f"{j.path}: a pipeline-wide timeout"


def test_the_agent_checker_sees_an_approval_that_holds_an_executor(groovy: GroovyParser) -> None:
    """What issue 8 found (defect 4): ``input`` under a pipeline-wide agent holds it."""
    held = groovy.parse(
        "pipeline {\n agent { label 'x' }\n stages {\n  stage('a') {\n"
        "   input { message 'ok?' }\n   steps { sh 'true' }\n  }\n }\n}\n"
    )
    [root] = tree(held.calls)
    assert holds_agent(root) and len(inputs_under_an_agent(root)) == 1
    free = groovy.parse(
        "pipeline {\n agent none\n stages {\n  stage('a') {\n   steps {\n"
        "    timeout(time: 5, unit: 'MINUTES') { input message: 'ok?' }\n   }\n  }\n }\n}\n"
    )
    [root] = tree(free.calls)
    assert not holds_agent(root) and inputs_under_an_agent(root) == []
    assert [c.name for c in steps_without_an_agent(root)] == []


def test_the_agent_checker_sees_a_script_without_an_agent(groovy: GroovyParser) -> None:
    bare = groovy.parse(
        "pipeline {\n agent none\n stages {\n  stage('a') {\n   steps {\n    sh 'true'\n"
        "    script { x = readFile('f') }\n   }\n  }\n }\n}\n"
    )
    [root] = tree(bare.calls)
    assert [c.name for c in steps_without_an_agent(root)] == ["sh", "readFile"]


def test_the_checker_rejects_misplaced_directives(groovy: GroovyParser) -> None:
    bad = groovy.parse(
        "pipeline {\n agent { label 'x' }\n stages {\n  stage('a') {\n   input { ok 'y' }\n"
        "   steps { sh 'true' }\n   steps { sh 'false' }\n  }\n }\n}\n"
    )
    [root] = tree(bad.calls)
    with pytest.raises(AssertionError):
        check_block(root, [])
    misplaced = groovy.parse(
        "pipeline {\n agent { label 'x' }\n stages { when { branch 'x' } }\n}\n"
    )
    [root] = tree(misplaced.calls)
    with pytest.raises(AssertionError):
        check_block(root, [])
