"""plugins.txt holds exactly the plugins the rendered jobs and the controller casc need.

The list `init` writes (jenkinsgen.stack.plugins, by spec feature) is compared with one
derived independently from what is rendered: the `plugin` attributes and the classes of
every config.xml (the fact table says which plugin holds each class), the steps and symbols
of every Jenkinsfile (tests/conformance/steps.py), the classes the controller casc and the
clouds casc configure, and Configuration-as-Code itself, which loads the casc. Each plugin
listed is therefore needed by something rendered, and nothing rendered needs one that is
missing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from jenkinsgen import render_spec
from jenkinsgen.casc.clouds import agents_casc
from jenkinsgen.casc.controller import controller_document
from jenkinsgen.images.pins import plugin_pins
from jenkinsgen.spec import Spec, load_spec_text
from jenkinsgen.stack.controller import LOCAL_AGENTS, controller_config
from jenkinsgen.stack.example import example_spec
from jenkinsgen.stack.plugins import needed_plugins, render_plugins_txt
from jenkinsgen.stack.settings import DEFAULT_PORTS, Settings, default_settings
from tests.conformance.facts import FactTable
from tests.conformance.steps import jenkinsfile_names, plugin_of_name
from tests.conformance.walk_casc import walk_casc
from tests.conformance.walk_xml import walk_xml

SETTINGS = default_settings(Path("/srv/stack"), "127.0.0.1", DEFAULT_PORTS, "/run/d.sock", 999)
MINIMAL = """\
version: 1
folder: tiny
defaults: {registry: registry.example.com/tiny, registry_credentials: reg}
environments: [{name: dev, branch: develop}]
services: [{name: api, repo: "https://git.example.com/api.git", build: make}]
"""
#: multibranch with a push trigger (scan jobs), a build container, JUnit, a manual gate, a
#: kubernetes cloud: every feature the init example does not use
MULTIBRANCH = """\
version: 1
folder: teams/payments
layout: multibranch
defaults: {registry: registry.example.com/pay, registry_credentials: reg, container: "maven:3",
           push_credentials: push}
environments:
  - {name: dev, branch: develop}
  - {name: prod, branch: main, deploy: manual, approvers: [leads]}
services:
  - name: ledger
    repo: https://git.example.com/ledger.git
    build: mvn package
    test: {command: mvn test, junit: "target/*.xml"}
    trigger: {webhook: "https://deploy.example.com/hooks/ledger", credentials: deploy}
agents:
  label: docker
  image: registry.example.com/pay/agent:1
  kubernetes: {docker: dind}
"""

SPECS = {
    "init example": example_spec(SETTINGS, DEFAULT_PORTS),
    "minimal": MINIMAL,
    "multibranch, container, kubernetes": MULTIBRANCH,
}


def derived_plugins(spec: Spec, settings: Settings, facts: FactTable) -> dict[str, str]:
    """plugin -> one rendered thing that needs it (core and Groovy left out)."""
    found: dict[str, str] = {"configuration-as-code": "loads the controller's casc"}

    def add(plugin: str | None, why: str) -> None:
        if plugin and plugin != "core":
            found.setdefault(plugin, why)

    for item in render_spec(spec).items:
        for plugin in re.findall(rb'plugin="([^"@]+)', item.config_xml):
            add(plugin.decode(), f"{item.full_name}/config.xml")
        walk = walk_xml(item.config_xml, facts, item.full_name)
        assert walk.problems == []
        for path, fqcn in walk.visited:
            add(facts.plugin_of(fqcn), path)
        if item.jenkinsfile is not None:
            for name in jenkinsfile_names(item.jenkinsfile):
                add(plugin_of_name(name), f"{item.full_name}/Jenkinsfile: {name}")
    documents = [controller_document(controller_config(spec, settings))]
    if spec.agents is not None:
        documents.append(yaml.safe_load(yaml.safe_dump(agents_casc(spec.agents, LOCAL_AGENTS))))
    for document in documents:
        walk = walk_casc(document, facts, "casc")
        assert walk.problems == []
        for path, fqcn in walk.visited:
            add(facts.plugin_of(fqcn), path)
    return found


@pytest.mark.parametrize("name", list(SPECS))
def test_every_listed_plugin_is_needed_and_none_is_missing(name: str, facts: FactTable) -> None:
    spec = load_spec_text(SPECS[name], f"<{name}>")
    listed = {p.name for p in needed_plugins(spec, plugin_pins())}
    derived = derived_plugins(spec, SETTINGS, facts)
    assert listed - set(derived) == set(), "listed but nothing rendered needs it"
    assert set(derived) - listed == set(), {p: derived[p] for p in set(derived) - listed}


def test_plugins_txt_pins_what_the_controller_image_pins() -> None:
    spec = load_spec_text(SPECS["init example"], "jenkinsgen.yaml")
    pins = plugin_pins()
    text = render_plugins_txt(spec, pins, "jenkinsgen.yaml")
    entries = [line.split("#")[0].strip() for line in text.splitlines()]
    entries = [e for e in entries if e]
    assert entries and all(pins[e.split(":")[0]] == e.split(":")[1] for e in entries)
    assert "workflow-aggregator" not in text  # an aggregator: nothing rendered needs it


@pytest.fixture(scope="module")
def facts(test_data: Path) -> FactTable:
    return FactTable.load(test_data / "jenkins-facts.json")
