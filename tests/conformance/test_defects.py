"""Issue 8, defects 1, 2 and 5: each test fails on the casc jenkinsgen rendered before the fix.

1. ``crumbIssuer: standard: excludeClientIPFromCrumb`` (removed from core in 2.543 / LTS
   2.555.1): JCasC stops the pinned 2.555.2 at start on the unknown attribute.
2. kubernetes ``templates[].remoteFs``: ``PodTemplate.setRemoteFs`` is @Deprecated, JCasC
   rejects deprecated attributes by default.
5. ``loggedInUsersCanDoAnything`` gives every logged-in user Overall/Administer, and an
   administrator settles any input whatever its ``submitter`` says.
"""

from __future__ import annotations

from typing import Any

import pytest

from jenkinsgen.casc.clouds import agents_casc
from jenkinsgen.casc.controller import ControllerConfig, approvers_of, controller_document
from jenkinsgen.spec.loader import load_spec, load_spec_text
from tests.conformance import approval, cases, pins
from tests.conformance.approval import User
from tests.conformance.facts import FactTable
from tests.conformance.walk_casc import walk_casc

EXAMPLE = cases.ROOT / "examples" / "jenkinsgen.yaml"


# -- 1 ---------------------------------------------------------------------------------------
def test_1_crumb_issuer_is_what_the_pinned_core_accepts(facts: FactTable) -> None:
    crumb = controller_document(ControllerConfig())["jenkins"]["crumbIssuer"]
    walk = walk_casc({"jenkins": {"crumbIssuer": crumb}}, facts, "casc.yaml")
    assert walk.problems == []
    assert walk.visited[-1] == ("casc.yaml: jenkins.crumbIssuer.standard", _crumb_class(facts))
    # what the table says about core at the pin: a no-argument constructor, no setter left
    source = facts.data["sources"]["core"]
    assert (source["version"], source["tag"]) == (pins.core_pin(), f"jenkins-{pins.core_pin()}")
    assert facts.casc_attributes(_crumb_class(facts)) == {}


def _crumb_class(facts: FactTable) -> str:
    (name,) = facts.implementations("standard", "hudson.security.csrf.CrumbIssuer")
    return name


# -- 2 ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["socket", "dind"])
def test_2_kubernetes_agents_use_the_container_working_dir(facts: FactTable, mode: str) -> None:
    spec = load_spec_text(
        "version: 1\nfolder: d\n"
        "defaults: {registry: r.example.com/a, registry_credentials: reg}\n"
        "environments: [{name: dev, branch: develop}]\n"
        "services: [{name: s, repo: 'https://g.example.com/s.git', build: make}]\n"
        "agents: {label: docker, image: acme/agent:1, remote_fs: /srv/agent,"
        f" kubernetes: {{docker: {mode}}}}}\n",
        "spec.yaml",
    )
    assert spec.agents is not None
    document = agents_casc(spec.agents)
    walk = walk_casc(document, facts, "agents.yaml")
    assert walk.problems == []
    (template,) = document["jenkins"]["clouds"][0]["kubernetes"]["templates"]
    jnlp = next(c for c in template["containers"] if c["name"] == "jnlp")
    assert jnlp["workingDir"] == "/srv/agent"
    assert "remoteFs" not in template


# -- 5 ---------------------------------------------------------------------------------------
def _strategy(config: ControllerConfig) -> dict[str, Any]:
    strategy: dict[str, Any] = controller_document(config)["jenkins"]["authorizationStrategy"]
    return strategy


def test_5_the_model_rests_on_evidence_from_the_pinned_sources(facts: FactTable) -> None:
    evidence = facts.data["evidence"]
    for name in approval.EVIDENCE:
        entry = evidence[name]
        assert facts.data["sources"][entry["source"]]["commit"], name
        assert entry["line"] > 0


def test_5_default_casc_makes_submitter_a_gate(facts: FactTable) -> None:
    """Default image built from the example spec (--spec): prod is approved by
    release-managers. An ordinary user can neither approve nor reject; an approver (by user id
    or by group) and the admin can."""
    spec = load_spec(EXAMPLE)
    (prod,) = [e for e in spec.environments if e.deploy == "manual"]
    submitter = ",".join(prod.approvers)
    strategy = _strategy(ControllerConfig(approvers=approvers_of(spec)))
    assert walk_casc({"jenkins": {"authorizationStrategy": strategy}}, facts, "c").problems == []

    developer = User("dev1", groups=("developers",))
    assert not approval.can_proceed(strategy, developer, submitter)
    assert not approval.can_abort(strategy, developer, submitter)
    assert "Job/Build" in approval.permissions_of(strategy, developer)  # still builds jobs
    assert approval.can_proceed(strategy, User("release-managers"), submitter)
    assert approval.can_proceed(strategy, User("alice", groups=("release-managers",)), submitter)
    assert approval.can_proceed(strategy, User("admin"), submitter)


def test_5_only_the_admin_account_and_group_administer() -> None:
    strategy = _strategy(ControllerConfig(admin_group="jenkins-admins", approvers=("ops",)))
    admins = [
        (kind, child["name"])
        for entry in strategy["globalMatrix"]["entries"]
        for kind, child in entry.items()
        if "Overall/Administer" in child["permissions"]
    ]
    assert admins == [("user", "admin"), ("group", "jenkins-admins")]
    member = User("bob", groups=("jenkins-admins",))
    assert approval.can_proceed(strategy, member, "ops")


def test_5_logged_in_stays_opt_in_and_is_not_a_gate() -> None:
    strategy = _strategy(ControllerConfig(authorization="logged-in"))
    assert approval.can_proceed(strategy, User("dev1"), "release-managers")  # why it is not default


def test_5_the_bundle_carries_the_authorization_plugin() -> None:
    assert {"configuration-as-code", "matrix-auth"} <= set(pins.plugin_pins())
