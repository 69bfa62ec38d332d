"""Every generated Jenkinsfile has the shape Declarative Pipeline accepts.

Jenkins' own Declarative validator needs a controller; this checks, from the Groovy AST, the
documented rules it enforces that a template could break: where each section and directive may
appear, one of ``steps`` / ``stages`` per stage, stage names unique in the whole pipeline, and
at most one of each section per block.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import pytest

from jenkinsgen.render.jenkinsfile import render_jenkinsfile
from jenkinsgen.spec import model
from tests.render.groovy_ast import Call, GroovyParser
from tests.render.jenkinsfile_specs import jobs, release_spec, service, spec

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
    "input": {"stage", "timeout"},
    "always": {"post"},
    "label": {"agent", "docker"},
    "docker": {"agent"},
    "image": {"docker"},
    "reuseNode": {"docker"},
    "timestamps": {"options"},
    "buildDiscarder": {"options"},
    "disableConcurrentBuilds": {"options"},
    "timeout": {"options", "script"},
    "logRotator": {"buildDiscarder"},
    "branch": {"when"},
    "message": {"input"},
    "ok": {"input"},
    "submitter": {"input"},
    "git": {"steps"},
    "sh": {"steps", "withCredentials"},
    "junit": {"always"},
    "withCredentials": {"steps"},
    "usernamePassword": {"withCredentials"},
    "string": {"withCredentials"},
    # The Release stages (environments with a release block).
    "script": {"steps"},
    "readFile": {"script"},
    "trim": {"script"},
    "expression": {"when"},
    "beforeAgent": {"when"},
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


SPECS = {
    "per-environment": spec(),
    "multibranch": spec(layout="multibranch"),
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
