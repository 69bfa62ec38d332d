"""Every name a rendered Jenkinsfile uses is a step, symbol or keyword whose plugin is known
(tests/conformance/steps.py); with the source clones at hand, each step's source file at the
pinned version defines it."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.conformance import cases
from tests.conformance.facts import FactTable
from tests.conformance.steps import STEPS, jenkinsfile_names, plugin_of_name
from tests.conformance.test_regenerate import MIRRORS

JENKINSFILES = sorted(cases.GOLDEN.glob("*/expected/**/Jenkinsfile"))


def test_every_name_of_every_golden_jenkinsfile_has_a_known_plugin() -> None:
    unknown: dict[str, str] = {}
    seen: set[str] = set()
    for path in JENKINSFILES:
        for name in jenkinsfile_names(path.read_text()):
            seen.add(name)
            try:
                plugin_of_name(name)
            except KeyError:
                unknown.setdefault(name, str(path))
    assert unknown == {}
    assert {"sh", "input", "withCredentials", "checkout", "build", "docker"} <= seen


def test_names_inside_shell_scripts_and_strings_do_not_count() -> None:
    text = (
        "pipeline {\n    agent none\n    stages {\n        stage('x') {\n"
        "            steps {\n                sh '''curl(1) x { }\nfoo (bar)\n'''\n"
        "                echo \"printf(%s) {\"\n                label 'docker'\n"
        "                // comment(x)\n            }\n        }\n    }\n}\n"
    )
    assert jenkinsfile_names(text) == {"pipeline", "agent", "stages", "stage", "steps", "sh",
                                       "echo", "label"}  # fmt: skip


def test_every_step_plugin_is_pinned_and_read(facts: FactTable) -> None:
    sources = facts.data["sources"]
    for name, (plugin, _, _) in STEPS.items():
        assert plugin in sources, (name, plugin)


@pytest.mark.skipif(not MIRRORS, reason="JENKINSGEN_FACTS_MIRRORS (Jenkins source clones) unset")
def test_each_step_is_defined_where_the_table_says_at_the_pinned_version(
    facts: FactTable,
) -> None:
    assert MIRRORS is not None
    for name, (plugin, path, pattern) in STEPS.items():
        source = facts.data["sources"][plugin]
        owner, repo = source["repo"].split("/")
        gitdir = Path(MIRRORS) / f"{owner}+{repo}" / "repo"
        if not gitdir.is_dir():
            gitdir = Path(MIRRORS) / f"{owner}+{repo}"
        text = subprocess.run(
            ["git", "--git-dir", str(gitdir), "show", f"{source['commit']}:{path}"],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        assert re.search(pattern, text), (name, plugin, path)
    assert os.environ.get("JENKINSGEN_FACTS_MIRRORS")
