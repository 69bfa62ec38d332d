"""The walkers catch what JCasC and XStream would reject, on the real fact table."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conformance.facts import FactTable
from tests.conformance.walk_casc import walk_casc
from tests.conformance.walk_xml import walk_xml


def _casc(facts: FactTable, jenkins: dict[str, Any]) -> list[str]:
    return walk_casc({"jenkins": jenkins}, facts, "t").problems


@pytest.mark.parametrize(
    ("jenkins", "fragment"),
    [
        ({"numExecutor": 1}, "t: jenkins.numExecutor: unknown attribute 'numExecutor' of "),
        ({"mode": "SOMETIMES"}, "'SOMETIMES' is not a constant of hudson.model.Node$Mode"),
        (
            {"crumbIssuer": {"standard": {"excludeClientIPFromCrumb": False}}},
            "jenkins.crumbIssuer.standard.excludeClientIPFromCrumb: unknown attribute",
        ),
        ({"crumbIssuer": "strict"}, "no implementation of hudson.security.csrf.CrumbIssuer"),
        (
            {"authorizationStrategy": {"globalMatrix": {"permissions": ["Overall/Read:x"]}}},
            "attribute 'permissions' of hudson.security.GlobalMatrixAuthorizationStrategy "
            "(jenkinsci/matrix-auth-plugin@matrix-auth-3.2.8",
        ),
        (
            {"clouds": [{"kubernetes": {"name": "k", "templates": [{"remoteFs": "/w"}]}}]},
            "jenkins.clouds[].kubernetes.templates[].remoteFs: attribute 'remoteFs' of "
            "org.csanchez.jenkins.plugins.kubernetes.PodTemplate",
        ),
        (
            {"clouds": [{"dockerCloud": {"name": "d"}}]},
            "'dockerCloud' is an obsolete name of com.nirima.jenkins.plugins.docker.DockerCloud",
        ),
        ({"securityRealm": {"local": {"users": {"id": "a"}}}}, ""),  # one item for a list: ok
        ({"systemMessage": {"a": 1}}, "java.lang.String takes a plain value, not dict"),
    ],
)
def test_casc_problems_are_named(facts: FactTable, jenkins: dict[str, Any], fragment: str) -> None:
    problems = _casc(facts, jenkins)
    if not fragment:
        assert problems == []
        return
    assert len(problems) == 1 and fragment in problems[0], problems


def test_deprecated_and_restricted_setters_are_marked_in_the_table(facts: FactTable) -> None:
    pod = facts.casc_attributes("org.csanchez.jenkins.plugins.kubernetes.PodTemplate")
    assert pod["remoteFs"].deprecated and not pod["label"].deprecated
    docker = facts.casc_attributes("com.nirima.jenkins.plugins.docker.DockerTemplate")
    assert not docker["remoteFs"].deprecated  # the docker-plugin's remoteFs is current
    crumb = facts.casc_attributes("hudson.security.csrf.DefaultCrumbIssuer")
    assert crumb == {}


def test_unknown_root_and_unclassified_symbols(facts: FactTable) -> None:
    problems = walk_casc({"jenkin": {}, "unclassified": {"locaton": {}}}, facts, "t").problems
    assert problems[0].startswith("t: jenkin: unknown root element")
    assert (
        "t: unclassified.locaton: no implementation of jenkins.model.GlobalConfiguration"
        in (problems[1])
    )
    ok = walk_casc({"unclassified": {"location": {"url": "https://x/"}}}, facts, "t")
    assert ok.problems == [] and ok.visited[-1][1] == "jenkins.model.JenkinsLocationConfiguration"


JOB = b"""<flow-definition plugin="workflow-job">
  <description>x</description>
  %s
  <definition class="org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition" plugin="workflow-cps">
    <script>echo 1</script><sandbox>true</sandbox>
  </definition>
</flow-definition>"""


@pytest.mark.parametrize(
    ("inner", "fragment"),
    [
        (b"", ""),
        (b"<descripton/>", "<flow-definition>/descripton: "),
        (b"<lazyBuildMixIn/>", "no serialized field 'lazyBuildMixIn'"),  # a transient field
        (
            b"<properties><hudson.tasks.Nothing/></properties>",
            "item class hudson.tasks.Nothing is not in the fact table",
        ),
        (
            b'<properties><jenkins.model.BuildDiscarderProperty plugin="git"/></properties>',
            "plugin='git' but jenkins.model.BuildDiscarderProperty belongs to 'core'",
        ),
        (
            b'<definition class="hudson.tasks.LogRotator"/>',
            "hudson.tasks.LogRotator is not a org.jenkinsci.plugins.workflow.flow.FlowDefinition",
        ),
    ],
)
def test_xml_problems_are_named(facts: FactTable, inner: bytes, fragment: str) -> None:
    problems = walk_xml(JOB % inner, facts, "t").problems
    if not fragment:
        assert problems == []
        return
    assert any(fragment in p for p in problems), problems
