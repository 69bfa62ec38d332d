"""Configuration-as-Code for the controller image: admin user, security, agent port, URL.

The admin password never appears in the output: the document holds a JCasC reference,
``${JENKINS_ADMIN_PASSWORD}`` by default (JCasC resolves it from the environment variable or the
Docker secret file ``/run/secrets/JENKINS_ADMIN_PASSWORD``), or ``${readFile:PATH}`` for a
secret file mounted elsewhere. Jobs (including the seed job) are not configured here: they are
rendered as ``config.xml`` by ``jenkinsgen render`` and baked into the image
(:mod:`jenkinsgen.images.baked`), so no Job DSL plugin is needed.

Authorization is a matrix (matrix-auth plugin) by default, so that an ``input`` step's
``submitter`` is a real gate: pipeline-input-step lets anyone with Overall/Administer settle any
input, so only the admin account (and an optional admin group) gets it. Every authenticated
user may read and build jobs, not cancel them (Job/Cancel would let them abort a waiting
approval); approvers (``approvers``) get an explicit read entry for the jobs they approve in.
``logged-in`` (every logged-in user can do anything) stays available on request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from jenkinsgen.casc.credentials import CascCredential, credentials_document
from jenkinsgen.casc.document import dump_yaml, literal, secret_ref
from jenkinsgen.errors import RenderError
from jenkinsgen.jenkins.urls import ControllerUrlError, parse_controller_url
from jenkinsgen.spec.model import Spec

__all__ = [
    "ADMIN_PERMISSIONS",
    "APPROVER_PERMISSIONS",
    "AUTHENTICATED_PERMISSIONS",
    "ControllerConfig",
    "approvers_of",
    "controller_document",
    "render_controller_casc",
]

Authorization = Literal["matrix", "logged-in"]

#: What every logged-in user may do under the matrix: see and start jobs. Not Job/Cancel:
#: pipeline-input-step lets a holder of Job/Cancel abort any waiting input (approval gate).
AUTHENTICATED_PERMISSIONS = ("Overall/Read", "Job/Read", "Job/Build", "View/Read")
#: What settling an input needs besides being named in its ``submitter``: reaching the build.
APPROVER_PERMISSIONS = ("Overall/Read", "Job/Read")
ADMIN_PERMISSIONS = ("Overall/Administer",)

_ID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.@-]{0,63}$")
_ENV = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
#: A user or group id in the matrix: the spec's approver pattern (v1.CREDENTIALS_ID).
_SID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@:-]*$")
_SID_HINT = "a Jenkins user or group id (letters, digits, '.', '_', '@', ':', '-')"
DEFAULT_MESSAGE = "Configured by jenkinsgen: changes made in the UI are replaced on restart."


@dataclass(frozen=True)
class ControllerConfig:
    """What the controller's casc.yaml says; every default is a safe, locked-down choice."""

    admin_user: str = "admin"
    admin_password_env: str = "JENKINS_ADMIN_PASSWORD"
    admin_password_file: str | None = None
    agent_port: int = 50000
    executors: int = 0
    authorization: Authorization = "matrix"
    admin_group: str | None = None
    approvers: tuple[str, ...] = ()
    url: str | None = None
    system_message: str = DEFAULT_MESSAGE
    credentials: tuple[CascCredential, ...] = ()

    def problems(self) -> list[str]:
        """Every invalid setting, named by its option, empty when valid."""
        out: list[str] = []
        if not _ID.match(self.admin_user):
            out.append(f"admin user {self.admin_user!r}: use letters, digits, '_', '.', '@', '-'")
        if self.admin_password_file is None and not _ENV.match(self.admin_password_env):
            out.append(f"admin password variable {self.admin_password_env!r} is not a valid name")
        if self.admin_password_file is not None and not self.admin_password_file.startswith("/"):
            out.append(f"admin password file {self.admin_password_file!r} must be absolute")
        if self.admin_password_file is not None and any(
            c in self.admin_password_file for c in "}\n"
        ):
            out.append("admin password file path must not contain '}' or a newline")
        if not (self.agent_port == -1 or 0 <= self.agent_port <= 65535):
            out.append(f"agent port {self.agent_port}: use 0-65535, 0 for random, -1 to disable")
        if not 0 <= self.executors <= 64:
            out.append(f"executors {self.executors}: use 0-64")
        if self.authorization not in ("logged-in", "matrix"):
            out.append(f"authorization {self.authorization!r}: use matrix or logged-in")
        if self.admin_group is not None and not _SID.match(self.admin_group):
            out.append(f"admin group {self.admin_group!r}: {_SID_HINT}")
        out.extend(f"approver {a!r}: {_SID_HINT}" for a in self.approvers if not _SID.match(a))
        if self.authorization == "logged-in" and self.admin_group is not None:
            out.append("admin group: only with the matrix authorization")
        if self.url is not None:
            out.extend(_url_problems(self.url))
        for credential in self.credentials:
            out.extend(credential.problems())
        ids = [c.id for c in self.credentials]
        out.extend(
            f"credentials id {i!r} given twice" for i in sorted(set(ids)) if ids.count(i) > 1
        )
        return out


def _password_ref(config: ControllerConfig) -> str:
    if config.admin_password_file is not None:
        return secret_ref(file=config.admin_password_file)
    return secret_ref(env=config.admin_password_env)


def _entry(kind: str, name: str, permissions: tuple[str, ...]) -> dict[str, Any]:
    return {kind: {"name": name, "permissions": list(permissions)}}


def _authorization(config: ControllerConfig) -> dict[str, Any]:
    if config.authorization == "logged-in":
        return {"loggedInUsersCanDoAnything": {"allowAnonymousRead": False}}
    # matrix-auth 3.x entries (the flat "permissions:" list is its deprecated form). Approvers
    # are "userOrGroup" because input's submitter matches a user id or a group alike.
    entries = [
        _entry("user", config.admin_user, ADMIN_PERMISSIONS),
        _entry("group", "authenticated", AUTHENTICATED_PERMISSIONS),
    ]
    if config.admin_group is not None:
        entries.append(_entry("group", config.admin_group, ADMIN_PERMISSIONS))
    special = {config.admin_user, "authenticated", "anonymous", config.admin_group}
    for approver in sorted(set(config.approvers) - special):
        entries.append(_entry("userOrGroup", approver, APPROVER_PERMISSIONS))
    return {"globalMatrix": {"entries": entries}}


def approvers_of(spec: Spec) -> tuple[str, ...]:
    """Every approver named by the spec's environments, sorted, each once."""
    return tuple(sorted({a for env in spec.environments for a in env.approvers}))


def controller_document(config: ControllerConfig) -> dict[str, Any]:
    """The JCasC document as a dict (for merging with cloud documents)."""
    bad = config.problems()
    if bad:
        raise RenderError("controller configuration: " + "; ".join(bad))
    jenkins: dict[str, Any] = {
        "systemMessage": literal(config.system_message),
        "numExecutors": config.executors,
        "mode": "EXCLUSIVE" if config.executors == 0 else "NORMAL",
        "slaveAgentPort": config.agent_port,
        "securityRealm": {
            "local": {
                "allowsSignup": False,
                "users": [{"id": config.admin_user, "password": _password_ref(config)}],
            }
        },
        "authorizationStrategy": _authorization(config),
        # DefaultCrumbIssuer takes no parameters since core 2.543 / LTS 2.555.1
        # (excludeClientIPFromCrumb was removed; JCasC rejects it as unknown).
        "crumbIssuer": "standard",
        "disableRememberMe": True,
    }
    document: dict[str, Any] = {"jenkins": jenkins}
    if config.credentials:
        document.update(credentials_document(config.credentials))
    if config.url is not None:
        document["unclassified"] = {"location": {"url": literal(config.url)}}
    return document


def render_controller_casc(config: ControllerConfig) -> str:
    """casc.yaml text for the controller image; deterministic for a given config."""
    header = "# Rendered by jenkinsgen; the admin password is a reference, never a value.\n"
    return header + dump_yaml(controller_document(config))


def _url_problems(url: str) -> list[str]:
    """What is wrong with the controller's own URL (JCasC ``location.url``)."""
    try:
        parse_controller_url(url)
    except ControllerUrlError as exc:
        reason = "no user or password in it" if exc.kind == "credentials" else exc.reason
        return [f"url {url!r}: an http(s) URL ending in '/', {reason}"]
    if not url.endswith("/"):
        return [f"url {url!r}: an http(s) URL ending in '/'"]
    return []
