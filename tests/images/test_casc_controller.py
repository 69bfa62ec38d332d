"""Configuration-as-Code for the controller: structure, secrets by reference, validation."""

from __future__ import annotations

import pytest
import yaml

from jenkinsgen.casc.controller import ControllerConfig, controller_document, render_controller_casc
from jenkinsgen.casc.document import dump_yaml, literal, merge, secret_ref
from jenkinsgen.errors import RenderError


def test_default_document_locks_the_controller_down() -> None:
    doc = yaml.safe_load(render_controller_casc(ControllerConfig()))
    jenkins = doc["jenkins"]
    assert jenkins["numExecutors"] == 0 and jenkins["mode"] == "EXCLUSIVE"
    assert jenkins["slaveAgentPort"] == 50000
    realm = jenkins["securityRealm"]["local"]
    assert realm["allowsSignup"] is False
    assert realm["users"] == [{"id": "admin", "password": "${JENKINS_ADMIN_PASSWORD}"}]
    entries = jenkins["authorizationStrategy"]["globalMatrix"]["entries"]
    assert entries == [
        {"user": {"name": "admin", "permissions": ["Overall/Administer"]}},
        {
            "group": {
                "name": "authenticated",
                "permissions": ["Overall/Read", "Job/Read", "Job/Build", "View/Read"],
            }
        },
    ]
    assert jenkins["crumbIssuer"] == "standard"
    assert "unclassified" not in doc


def test_logged_in_authorization_is_still_available() -> None:
    doc = controller_document(ControllerConfig(authorization="logged-in"))
    assert doc["jenkins"]["authorizationStrategy"] == {
        "loggedInUsersCanDoAnything": {"allowAnonymousRead": False}
    }


def test_password_comes_from_a_file_reference() -> None:
    text = render_controller_casc(ControllerConfig(admin_password_file="/run/secrets/admin"))
    users = yaml.safe_load(text)["jenkins"]["securityRealm"]["local"]["users"]
    assert users[0]["password"] == "${readFile:/run/secrets/admin}"


def test_password_value_in_the_environment_never_reaches_the_yaml(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("JENKINS_ADMIN_PASSWORD", "s3cr3t-value-xyz")
    assert "s3cr3t-value-xyz" not in render_controller_casc(ControllerConfig())


def test_matrix_authorization_and_url() -> None:
    doc = controller_document(
        ControllerConfig(
            admin_user="ops",
            authorization="matrix",
            admin_group="jenkins-admins",
            approvers=("release-managers", "ops", "authenticated", "alice"),
            url="https://ci.example.com/",
            agent_port=-1,
            executors=2,
        )
    )
    entries = doc["jenkins"]["authorizationStrategy"]["globalMatrix"]["entries"]
    assert entries[0] == {"user": {"name": "ops", "permissions": ["Overall/Administer"]}}
    assert {"group": {"name": "jenkins-admins", "permissions": ["Overall/Administer"]}} in entries
    # approvers: sorted, each once, never the admin or the authenticated pseudo-group again
    approvers = [e["userOrGroup"] for e in entries if "userOrGroup" in e]
    assert approvers == [
        {"name": "alice", "permissions": ["Overall/Read", "Job/Read"]},
        {"name": "release-managers", "permissions": ["Overall/Read", "Job/Read"]},
    ]
    assert doc["unclassified"]["location"]["url"] == "https://ci.example.com/"
    assert doc["jenkins"]["slaveAgentPort"] == -1 and doc["jenkins"]["mode"] == "NORMAL"


def test_free_text_cannot_inject_a_variable_reference() -> None:
    doc = controller_document(ControllerConfig(system_message="hi ${JENKINS_ADMIN_PASSWORD}"))
    assert doc["jenkins"]["systemMessage"] == "hi ^${JENKINS_ADMIN_PASSWORD}"


def test_rendering_is_deterministic() -> None:
    config = ControllerConfig(authorization="matrix", url="https://ci.example.com/")
    assert render_controller_casc(config) == render_controller_casc(config)
    assert render_controller_casc(config).startswith("# Rendered by jenkinsgen")


@pytest.mark.parametrize(
    ("config", "fragment"),
    [
        (ControllerConfig(admin_user="bad user"), "admin user"),
        (ControllerConfig(admin_password_env="1X"), "admin password variable"),
        (ControllerConfig(admin_password_file="relative"), "must be absolute"),
        (ControllerConfig(agent_port=70000), "agent port 70000"),
        (ControllerConfig(executors=-1), "executors -1"),
        (ControllerConfig(url="ftp://x/"), "url"),
        (ControllerConfig(admin_group="a b"), "admin group 'a b'"),
        (ControllerConfig(approvers=("ok", "-bad")), "approver '-bad'"),
        (ControllerConfig(authorization="logged-in", admin_group="g"), "only with the matrix"),
    ],
)
def test_invalid_settings_are_named(config: ControllerConfig, fragment: str) -> None:
    with pytest.raises(RenderError, match=fragment):
        controller_document(config)


def test_document_helpers() -> None:
    assert literal("a ${b} c") == "a ^${b} c"
    assert secret_ref(env="X") == "${X}"
    assert secret_ref(file="/f") == "${readFile:/f}"
    with pytest.raises(ValueError):
        secret_ref()
    merged = merge({"jenkins": {"a": 1, "clouds": [1]}}, {"jenkins": {"b": 2, "clouds": [2]}})
    assert merged == {"jenkins": {"a": 1, "b": 2, "clouds": [2]}}
    assert dump_yaml({"b": [{"x": 1}], "a": 1}) == "a: 1\nb:\n  - x: 1\n"
