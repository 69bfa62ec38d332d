"""Configuration-as-Code for the controller image: admin user, security, agent port, URL.

The admin password never appears in the output: the document holds a JCasC reference,
``${JENKINS_ADMIN_PASSWORD}`` by default (JCasC resolves it from the environment variable or the
Docker secret file ``/run/secrets/JENKINS_ADMIN_PASSWORD``), or ``${readFile:PATH}`` for a
secret file mounted elsewhere. Jobs (including the seed job) are not configured here: they are
rendered as ``config.xml`` by ``jenkinsgen render`` and baked into ``ref/jobs``, so no Job DSL
plugin is needed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from jenkinsgen.casc.document import dump_yaml, literal, secret_ref
from jenkinsgen.errors import RenderError

__all__ = ["ControllerConfig", "controller_document", "render_controller_casc"]

Authorization = Literal["logged-in", "matrix"]

_ID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.@-]{0,63}$")
_ENV = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
DEFAULT_MESSAGE = "Configured by jenkinsgen: changes made in the UI are replaced on restart."


@dataclass(frozen=True)
class ControllerConfig:
    """What the controller's casc.yaml says; every default is a safe, locked-down choice."""

    admin_user: str = "admin"
    admin_password_env: str = "JENKINS_ADMIN_PASSWORD"
    admin_password_file: str | None = None
    agent_port: int = 50000
    executors: int = 0
    authorization: Authorization = "logged-in"
    url: str | None = None
    system_message: str = DEFAULT_MESSAGE

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
            out.append(f"authorization {self.authorization!r}: use logged-in or matrix")
        if self.url is not None and not re.match(r"^https?://[^\s]+/$", self.url):
            out.append(f"url {self.url!r}: an http(s) URL ending in '/'")
        return out


def _password_ref(config: ControllerConfig) -> str:
    if config.admin_password_file is not None:
        return secret_ref(file=config.admin_password_file)
    return secret_ref(env=config.admin_password_env)


def _authorization(config: ControllerConfig) -> dict[str, Any]:
    if config.authorization == "matrix":  # needs the matrix-auth plugin in the bundle
        return {
            "globalMatrix": {
                "entries": [
                    {"group": {"name": "authenticated", "permissions": ["Overall/Read"]}},
                    {"user": {"name": config.admin_user, "permissions": ["Overall/Administer"]}},
                ]
            }
        }
    return {"loggedInUsersCanDoAnything": {"allowAnonymousRead": False}}


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
        "crumbIssuer": {"standard": {"excludeClientIPFromCrumb": False}},
        "disableRememberMe": True,
    }
    document: dict[str, Any] = {"jenkins": jenkins}
    if config.url is not None:
        document["unclassified"] = {"location": {"url": literal(config.url)}}
    return document


def render_controller_casc(config: ControllerConfig) -> str:
    """casc.yaml text for the controller image; deterministic for a given config."""
    header = "# Rendered by jenkinsgen; the admin password is a reference, never a value.\n"
    return header + dump_yaml(controller_document(config))
