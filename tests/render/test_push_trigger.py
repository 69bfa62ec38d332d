"""Issue 8, defect 6: a push webhook starts exactly the right jobs, from the first push, with a
token kept in a credential.

What the Generic Webhook Trigger plugin (generic-webhook-trigger 2.4.1, package
``org.jenkinsci.plugins.gwt``) does with ``POST /generic-webhook-trigger/invoke`` was read in
its source: ``JobFinder`` offers the request to every job whose ``GenericTrigger`` token (here:
the secret of ``tokenCredentialId``) equals the one sent; ``VariablesResolver`` takes each
``GenericVariable`` from the JSON body (``$.ref``, ``$.after``; ``defaultValue`` when absent)
and each ``GenericRequestVariable`` from the query (absent: no variable at all);
``Renderer.renderText`` replaces ``$name`` in ``regexpFilterText``, longest names first; the
job starts when ``Pattern.compile(regexpFilterExpression).matcher(text).find()``. The test
follows those steps on the rendered config.xml and runs the final match with the real Java
regex engine (through Groovy), for payloads shaped as GitHub, GitLab and Gitea send them
(``ref``, ``after``); the steps are in ``push_sim.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from jenkinsgen.errors import RenderError
from jenkinsgen.render import render_spec
from jenkinsgen.render.xml_push import TRIGGER_CLASS
from jenkinsgen.render.xml_text import element_text, parse_config_xml
from jenkinsgen.spec import load_spec_text
from tests.render.push_sim import ZEROS, push, started, triggers_of

PER_ENVIRONMENT = """\
version: 1
folder: a.b/delivery
defaults:
  registry: registry.example.com/acme
  registry_credentials: registry-push
  push_credentials: git-push-token
environments:
  - {name: dev, branch: develop}
  - {name: staging, branch: release}
  - {name: prod, branch: main, deploy: manual, approvers: [ops]}
services:
  - {name: orders, repo: 'https://git.example.com/acme/orders.git', build: make}
  - {name: orders.v2, repo: 'https://git.example.com/acme/orders2.git', build: make,
     environments: [dev]}
seed:
  repo: https://git.example.com/acme/config.git
  jenkins_credentials: jenkins-api
  branch: config/main
  jenkins_url: https://jenkins.example.com/
"""
MULTIBRANCH = PER_ENVIRONMENT.replace(
    "folder: a.b/delivery", "folder: a.b/delivery\nlayout: multibranch"
).replace("branch: release}", "branch: release/*}")
NO_PUSH = PER_ENVIRONMENT.replace("  push_credentials: git-push-token\n", "")


def test_a_push_starts_exactly_the_job_of_its_repository_and_branch(tmp_path: Path) -> None:
    rendered = render_spec(load_spec_text(PER_ENVIRONMENT, "spec.yaml"))
    pushes = [
        push("a.b/delivery/orders", "refs/heads/develop"),
        push("a.b/delivery/orders", "refs/heads/release"),
        push("a.b/delivery/orders", "refs/heads/main"),
        push("a.b/delivery/orders.v2", "refs/heads/develop", project={"id": 7}),  # GitLab-like
        push("a.b/delivery/orders", "refs/heads/develop", after=ZEROS),  # branch deleted
        push("a.b/delivery/orders", "refs/tags/v1.0"),
        push("a.b/delivery/orders", "refs/heads/feature/develop"),
        push("a.b/delivery/orders", "refs/heads/develop-2"),
        push(None, "refs/heads/develop"),  # no item: nobody
        push("aXb/delivery/orders", "refs/heads/develop"),  # '.' is not a wildcard
        push("a.b/delivery/orders.v", "refs/heads/develop"),
        push("a.b/delivery/seed", "refs/heads/config/main"),
        push("a.b/delivery/seed", "refs/heads/main"),
    ]
    assert started(rendered, pushes, tmp_path) == [
        {"a.b/delivery/orders/dev"},
        {"a.b/delivery/orders/staging"},
        {"a.b/delivery/orders/prod"},
        {"a.b/delivery/orders.v2/dev"},
        set(),
        set(),
        set(),
        set(),
        set(),
        set(),
        set(),
        {"a.b/delivery/seed"},
        set(),
    ]


def test_multibranch_pushes_start_the_scan_job_even_for_a_deleted_branch(tmp_path: Path) -> None:
    rendered = render_spec(load_spec_text(MULTIBRANCH, "spec.yaml"))
    kinds = {i.full_name: i.kind for i in rendered.items}
    assert kinds["a.b/delivery/orders-scan"] == "scan"
    assert kinds["a.b/delivery/orders"] == "multibranch"
    pushes = [
        push("a.b/delivery/orders", "refs/heads/feature/x"),
        push("a.b/delivery/orders", "refs/heads/release/2.0", after=ZEROS),
        push("a.b/delivery/orders.v2", "refs/heads/develop"),
        push("a.b/delivery/order", "refs/heads/develop"),
        push(None, "refs/heads/develop"),
    ]
    assert started(rendered, pushes, tmp_path) == [
        {"a.b/delivery/orders-scan"},
        {"a.b/delivery/orders-scan"},
        {"a.b/delivery/orders.v2-scan"},
        set(),
        set(),
    ]
    scan = next(i for i in rendered.items if i.full_name == "a.b/delivery/orders-scan")
    assert scan.jenkinsfile is not None
    assert "build job: '/a.b/delivery/orders', wait: false" in scan.jenkinsfile


@pytest.mark.parametrize(
    "text", [PER_ENVIRONMENT, MULTIBRANCH], ids=["per-environment", "multibranch"]
)
def test_every_job_is_authenticated_by_the_credential_and_holds_no_secret(text: str) -> None:
    rendered = render_spec(load_spec_text(text, "spec.yaml"))
    triggers = triggers_of(rendered)
    jobs = {i.full_name for i in rendered.items if i.kind in ("pipeline", "seed", "scan")}
    assert set(triggers) == jobs, "every job a push should start carries the trigger"
    for name, trigger in triggers.items():
        assert trigger.get("plugin") == "generic-webhook-trigger"
        assert trigger.findtext("tokenCredentialId") == "git-push-token", name
        assert (trigger.findtext("token") or "") == "", "no token value in a rendered file"
        assert trigger.findtext("spec") == "" and trigger.find("spec") is not None
        assert trigger.getparent().getparent().tag.endswith("PipelineTriggersJobProperty")  # type: ignore[union-attr]
    for item in rendered.items:
        if item.kind == "multibranch":
            assert parse_config_xml(item.config_xml).find(f".//{TRIGGER_CLASS}") is None


def test_descriptions_name_the_webhook_url() -> None:
    rendered = render_spec(load_spec_text(PER_ENVIRONMENT, "spec.yaml"))
    by_name = {i.full_name: i for i in rendered.items}
    for name, item in (
        ("a.b/delivery/orders", "a.b/delivery/orders"),
        ("a.b/delivery/orders/prod", "a.b/delivery/orders"),
        ("a.b/delivery/seed", "a.b/delivery/seed"),
    ):
        description = element_text(parse_config_xml(by_name[name].config_xml).find("description"))  # type: ignore[arg-type]
        assert (
            f"Push webhook: JENKINS_URL/generic-webhook-trigger/invoke?item={item} "
            "with the token of credentials git-push-token." in description
        ), name


def test_without_push_credentials_no_trigger_and_no_scan_job() -> None:
    rendered = render_spec(load_spec_text(NO_PUSH, "spec.yaml"))
    assert triggers_of(rendered) == {}
    assert all(b"PipelineTriggersJobProperty" not in i.config_xml for i in rendered.items)
    multibranch = NO_PUSH.replace(
        "folder: a.b/delivery", "folder: a.b/delivery\nlayout: multibranch"
    )
    kinds = {i.kind for i in render_spec(load_spec_text(multibranch, "spec.yaml")).items}
    assert "scan" not in kinds


def test_a_service_named_like_a_scan_job_is_refused() -> None:
    text = MULTIBRANCH.replace("name: orders.v2,", "name: orders-scan,")
    with pytest.raises(RenderError, match=r"orders-scan: .*would be the same Jenkins item"):
        render_spec(load_spec_text(text, "spec.yaml"))
