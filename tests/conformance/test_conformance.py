"""Every casc key and config.xml element jenkinsgen renders exists, undeprecated, in the Jenkins
core and plugins at the versions it pins (tests/data/jenkins-facts.json, read from their
sources by scripts/jenkins-facts.py); the table was generated from exactly those pins."""

from __future__ import annotations

import os

import pytest

from tests.conformance import cases, pins
from tests.conformance.facts import FactTable
from tests.conformance.walk_casc import walk_casc
from tests.conformance.walk_xml import walk_xml

CASC = list(cases.rendered_casc())
XML = list(cases.rendered_xml())


@pytest.mark.parametrize("doc", CASC, ids=[d.where for d in CASC])
def test_every_casc_key_exists_and_is_not_deprecated(doc: cases.Rendered, facts: FactTable) -> None:
    walk = walk_casc(doc.content, facts, doc.where)
    assert walk.problems == []
    assert len(walk.visited) >= 2  # the walk went below the root


@pytest.mark.parametrize("doc", XML, ids=[d.where.split("golden/")[-1] for d in XML])
def test_every_config_xml_element_is_a_serialized_field(
    doc: cases.Rendered, facts: FactTable
) -> None:
    walk = walk_xml(doc.content, facts, doc.where)
    assert walk.problems == []
    assert walk.visited


def test_the_walk_covers_every_golden_case_and_option() -> None:
    golden = {p.name for p in cases.GOLDEN.iterdir() if (p / "spec.yaml").is_file()}
    walked = {d.where.split("/")[2] for d in XML}
    assert walked == golden
    assert any("agents-clouds" in d.where for d in CASC)
    walked_casc = " ".join(d.where for d in CASC)
    for option in ("default", "logged-in", "approvers", "url", "dind", "socket", "tcp"):
        assert option in walked_casc


def test_every_permission_granted_exists(facts: FactTable) -> None:
    known = {f"{group}/{name}" for group, names in facts.permissions().items() for name in names}
    granted: set[str] = set()
    for doc in CASC:
        strategy = doc.content.get("jenkins", {}).get("authorizationStrategy", {})
        for entry in strategy.get("globalMatrix", {}).get("entries", []):
            for child in entry.values():
                granted.update(child["permissions"])
    assert granted  # the matrix variants were walked
    assert granted - known == set()


def test_the_table_was_generated_from_the_pins(facts: FactTable) -> None:
    """Changing a pin (plugins.txt, or the core in the Dockerfile) without running
    scripts/jenkins-facts.py fails here."""
    plugin_pins = pins.plugin_pins()
    unpinned = sorted(name for name, version in plugin_pins.items() if version == "latest")
    assert unpinned == [], f"pin a version in images/controller/plugins.txt for {unpinned}"
    recorded = facts.data["pins"]
    assert recorded["core"] == pins.core_pin(), "core pin changed: run scripts/jenkins-facts.py"
    assert recorded["plugins"] == dict(sorted(plugin_pins.items())), (
        "plugin pins changed: run scripts/jenkins-facts.py (docs/conformance.md)"
    )
    for key, source in facts.data["sources"].items():
        expected = pins.core_pin() if key == "core" else plugin_pins[key]
        assert source["version"] == expected, key
        assert len(source["commit"]) == 40 and source["tag"], key


def test_every_plugin_read_runs_on_the_pinned_core(facts: FactTable) -> None:
    def key(version: str) -> tuple[int, ...]:
        return tuple(int(p) for p in version.split(".")[:3])

    core = key(pins.core_pin())
    for name, source in facts.data["sources"].items():
        if "required_core" in source:
            assert key(source["required_core"]) <= core, (name, source["required_core"])


def test_every_class_comes_from_a_pinned_source(facts: FactTable) -> None:
    for name, entry in facts.iter_classes():
        assert entry["source"] in facts.data["sources"], name
        assert entry["path"].endswith(".java"), name


def test_ancestors_outside_the_sources_carry_nothing_jenkins_reads(facts: FactTable) -> None:
    """JDK and Stapler types are not read; anything else missing means a source to add."""
    outside = facts.data["ancestors_not_read"]
    assert [a for a in outside if not a.startswith(("java.", "org.kohsuke.stapler."))] == []


def test_element_plugin_attributes_name_the_plugin_holding_the_class(facts: FactTable) -> None:
    assert facts.plugin_of("org.jenkinsci.plugins.workflow.job.WorkflowJob") == "workflow-job"
    assert facts.plugin_of("jenkins.plugins.git.GitSCMSource") == "git"
    assert facts.plugin_of("hudson.tasks.LogRotator") == "core"


def test_the_stack_casc_is_walked_down_to_its_credentials_and_local_agents(
    facts: FactTable,
) -> None:
    """What `jenkinsgen up` bakes (credentials of both kinds, the local cloud's network and
    extra groups) is among the walked documents, and the walk reached each of those keys."""
    stack = [d for d in CASC if "jenkinsgen up" in d.where]
    assert len(stack) == 2
    visited = [step for d in stack for step in walk_casc(d.content, facts, d.where).visited]
    classes = {fqcn for _, fqcn in visited}
    assert {
        "com.cloudbees.plugins.credentials.impl.UsernamePasswordCredentialsImpl",
        "org.jenkinsci.plugins.plaincredentials.impl.StringCredentialsImpl",
        "com.nirima.jenkins.plugins.docker.DockerTemplateBase",
    } <= classes
    [base] = [d for d in stack if "agents" in d.where]
    template = base.content["jenkins"]["clouds"][0]["docker"]["templates"][0]
    assert template["dockerTemplateBase"]["network"] == "host"
    assert template["dockerTemplateBase"]["extraGroupsString"] == "${DOCKER_GID}"


def test_the_e2e_controllers_run_the_pinned_core_and_plugins() -> None:
    """The real-Jenkins suites (tests/e2e) run what the facts were read from: the pinned core's
    image, and each plugin they install at its pinned version."""
    from tests.e2e import conftest as e2e

    if "JENKINSGEN_E2E_IMAGE" not in os.environ:
        assert f"jenkins/jenkins:{pins.core_pin()}-lts-jdk21" == e2e.IMAGE
    pinned = pins.plugin_pins()
    assert set(e2e.PLUGIN_NAMES) <= set(pinned), "an e2e plugin missing from plugins.txt"
    assert e2e.plugins_argument().split() == [f"{n}:{pinned[n]}" for n in e2e.PLUGIN_NAMES]
