"""What the stack's controller image is built with: its casc (admin, authorization,
credentials, URL) and the clouds of the spec on this machine's engine.

The credentials are those the spec's jobs name and the stack holds secrets for, each a
reference to the secret's variable (never a value):

=========================== ================== ============================================
spec key                    kind               secret
=========================== ================== ============================================
defaults.registry_credentials usernamePassword  ``jenkinsgen`` / ``REGISTRY_PASSWORD``
services[].trigger.credentials string           ``DEPLOY_TOKEN`` (the receiver's token)
defaults.push_credentials   string             ``PUSH_TOKEN``
seed.jenkins_credentials    usernamePassword   ``admin`` / ``JENKINS_ADMIN_PASSWORD``
seed.image_credentials      usernamePassword   as registry_credentials (the stack registry)
=========================== ================== ============================================

Ids the stack cannot fill (Git checkout credentials, Docker TLS, Kubernetes) are returned
by :func:`unfilled_credentials` so ``up`` can name them.
"""

from __future__ import annotations

from jenkinsgen.casc.clouds import LocalAgents
from jenkinsgen.casc.controller import ControllerConfig, approvers_of
from jenkinsgen.casc.credentials import CascCredential
from jenkinsgen.spec.model import Spec
from jenkinsgen.stack.layout import (
    ADMIN_PASSWORD,
    DEPLOY_TOKEN,
    PUSH_TOKEN,
    REGISTRY_PASSWORD,
    REGISTRY_USER,
)
from jenkinsgen.stack.settings import Settings

__all__ = [
    "ADMIN_USER",
    "LOCAL_AGENTS",
    "controller_config",
    "stack_credentials",
    "unfilled_credentials",
]

ADMIN_USER = "admin"
#: Agents on this machine's engine: the host's network (they reach the receiver, the
#: registry and Jenkins on the bind address) and the socket's group (``DOCKER_GID`` in the
#: controller's environment, from ``.env``), so builds can use the engine.
LOCAL_AGENTS = LocalAgents(network="host", groups=("${DOCKER_GID}",))


def stack_credentials(spec: Spec) -> tuple[CascCredential, ...]:
    """The credentials the stack creates for ``spec``, sorted by id (the first kind given an
    id wins: the spec's own validation keeps ids meaningful)."""
    found: dict[str, CascCredential] = {}

    def add(credential: CascCredential) -> None:
        found.setdefault(credential.id, credential)

    registry_note = "the stack's registry (jenkinsgen up)"
    add(
        CascCredential(
            spec.defaults.registry_credentials,
            "usernamePassword",
            REGISTRY_PASSWORD.name,
            REGISTRY_USER,
            registry_note,
        )
    )
    for service in spec.services:
        if service.trigger is not None and service.trigger.credentials:
            add(
                CascCredential(
                    service.trigger.credentials,
                    "string",
                    DEPLOY_TOKEN.name,
                    description="deploy trigger token (jenkinsgen up)",
                )
            )
    if spec.defaults.push_credentials:
        add(
            CascCredential(
                spec.defaults.push_credentials,
                "string",
                PUSH_TOKEN.name,
                description="Git push webhook token (jenkinsgen up)",
            )
        )
    if spec.seed is not None:
        add(
            CascCredential(
                spec.seed.jenkins_credentials,
                "usernamePassword",
                ADMIN_PASSWORD.name,
                ADMIN_USER,
                "the seed job applies as the admin",
            )
        )
        if spec.seed.image_credentials and spec.seed.image is None:
            add(
                CascCredential(
                    spec.seed.image_credentials,
                    "usernamePassword",
                    REGISTRY_PASSWORD.name,
                    REGISTRY_USER,
                    registry_note,
                )
            )
    return tuple(found[key] for key in sorted(found))


def unfilled_credentials(spec: Spec) -> list[str]:
    """``id (what names it)`` for every credentials id the spec names that the stack does not
    create: they must be added in Jenkins."""
    made = {c.id for c in stack_credentials(spec)}
    named: dict[str, str] = {}
    for service in spec.services:
        if service.repo_credentials:
            named.setdefault(service.repo_credentials, f"services.{service.name}.repo_credentials")
    if spec.seed is not None:
        if spec.seed.credentials:
            named.setdefault(spec.seed.credentials, "seed.credentials")
        if spec.seed.image_credentials:
            named.setdefault(spec.seed.image_credentials, "seed.image_credentials")
    if spec.agents is not None:
        if spec.agents.docker is not None and spec.agents.docker.credentials:
            named.setdefault(spec.agents.docker.credentials, "agents.docker.credentials")
        if spec.agents.kubernetes is not None and spec.agents.kubernetes.credentials:
            named.setdefault(spec.agents.kubernetes.credentials, "agents.kubernetes.credentials")
    return [f"{cid} ({where})" for cid, where in sorted(named.items()) if cid not in made]


def controller_config(spec: Spec, settings: Settings) -> ControllerConfig:
    """The casc settings of the stack's controller: the matrix with the spec's approvers, no
    inbound agent port (docker-plugin attaches to its agents; a TCP port would listen on every
    address), the stack's URL and credentials, the admin password from its secret."""
    return ControllerConfig(
        admin_user=ADMIN_USER,
        admin_password_env=ADMIN_PASSWORD.name,
        agent_port=-1,
        executors=0,
        authorization="matrix",
        approvers=approvers_of(spec),
        url=settings.jenkins_url,
        credentials=stack_credentials(spec),
    )
