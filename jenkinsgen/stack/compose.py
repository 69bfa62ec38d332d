"""``compose.yaml``: the stack as docker compose runs it, derived from the spec.

Services (each with host networking: every server binds ``${BIND_ADDRESS}``, 127.0.0.1 by
default, so nothing is published and nothing is reachable from elsewhere):

* ``controller``: the controller image ``up`` builds (plugins, jobs, casc baked in), the
  Docker socket (docker-plugin starts the agents through it), its home in the volume
  ``jenkins_home``; its secrets reach the jenkins user through the image's entrypoint, which
  copies them from ``/run/secrets`` to a private tmpfs (``SECRETS``), where Configuration-as-
  Code reads them;
* ``registry``: distribution's registry with htpasswd (bcrypt) auth, data in ``registry``;
* with a ``release`` block: ``receiver`` (the seed image, run through the shared entrypoint as
  ``nobody`` with the socket's group; it writes each environment's HAProxy configuration, then
  serves the deploy triggers) and one ``proxy-<environment>`` per release environment (HAProxy
  as ``nobody`` without capabilities; it starts once its configuration exists). Both share
  the volume ``release`` at ``/var/lib/jenkinsgen``, where the spec's release paths point.

Values in ``${...}`` come from ``.env``. The file uses only what compose v1 (1.29) and v2
both read: no ``version:`` key, short volume and secret syntax.
"""

from __future__ import annotations

from typing import Any

import yaml

from jenkinsgen.spec.model import Spec
from jenkinsgen.stack.example import RELEASE_ROOT
from jenkinsgen.stack.layout import (
    ADMIN_PASSWORD,
    DEPLOY_TOKEN,
    PUSH_TOKEN,
    REGISTRY_HTPASSWD,
    REGISTRY_PASSWORD,
    SPEC_FILE,
    Secret,
)

__all__ = [
    "CONTROLLER",
    "HANDED_SECRETS",
    "RECEIVER",
    "REGISTRY",
    "SPEC_DIGEST_VARIABLE",
    "SPEC_IN_CONTAINER",
    "controller_secrets",
    "proxy_service",
    "render_compose",
    "services_of",
]

CONTROLLER = "controller"
REGISTRY = "registry"
RECEIVER = "receiver"
#: Where the spec is mounted in the receiver.
SPEC_IN_CONTAINER = f"/etc/jenkinsgen/{SPEC_FILE}"
#: Where the entrypoint hands secrets over (a tmpfs), as ``SECRETS`` names it.
HANDED_SECRETS = "/run/jenkinsgen/secrets"
_SOCKET = "/var/run/docker.sock"
#: The uid and gid the receiver and HAProxy share (the HAProxy admin socket is 0600).
_NOBODY = "65534:65534"
#: Set by ``jenkinsgen up`` to the spec's digest: a changed spec recreates the receiver and
#: HAProxy (they read it, or what it wrote, at start); unset (compose run by hand) it is empty.
SPEC_DIGEST_VARIABLE = "JENKINSGEN_SPEC_SHA256"
SPEC_LABEL = {"io.jenkinsgen.spec-sha256": f"${{{SPEC_DIGEST_VARIABLE}:-}}"}


def proxy_service(environment: str) -> str:
    return f"proxy-{environment}"


def controller_secrets(spec: Spec) -> tuple[Secret, ...]:
    """The secrets the controller's casc refers to, for this spec."""
    out = [ADMIN_PASSWORD, REGISTRY_PASSWORD]
    if any(s.trigger is not None and s.trigger.credentials for s in spec.services):
        out.append(DEPLOY_TOKEN)
    if spec.defaults.push_credentials:
        out.append(PUSH_TOKEN)
    return tuple(out)


def _releases(spec: Spec) -> list[str]:
    return [e.name for e in spec.environments if e.release is not None]


def services_of(spec: Spec) -> list[str]:
    """The compose services the spec needs, in the file's order."""
    out = [CONTROLLER, REGISTRY]
    if _releases(spec):
        out.append(RECEIVER)
        out.extend(proxy_service(name) for name in _releases(spec))
    return out


def _controller(spec: Spec) -> dict[str, Any]:
    environment = {
        "JENKINS_OPTS": "--httpListenAddress=${BIND_ADDRESS} --httpPort=${JENKINS_PORT}",
        "JENKINSGEN_SECRETS_FROM": "/run/secrets",
        "SECRETS": HANDED_SECRETS,
    }
    if spec.agents is not None and spec.agents.docker is not None:
        environment["DOCKER_GID"] = "${DOCKER_GID}"
    return {
        "image": "${CONTROLLER_IMAGE}",
        "network_mode": "host",
        "restart": "unless-stopped",
        "environment": environment,
        "volumes": ["jenkins_home:/var/jenkins_home", f"${{DOCKER_SOCKET}}:{_SOCKET}"],
        "tmpfs": ["/run/jenkinsgen"],
        "secrets": [s.name for s in controller_secrets(spec)],
        "stop_grace_period": "1m",
    }


def _registry() -> dict[str, Any]:
    return {
        "image": "${REGISTRY_IMAGE}",
        "network_mode": "host",
        "restart": "unless-stopped",
        "environment": {
            "REGISTRY_HTTP_ADDR": "${BIND_ADDRESS}:${REGISTRY_PORT}",
            "REGISTRY_AUTH": "htpasswd",
            "REGISTRY_AUTH_HTPASSWD_REALM": "jenkinsgen",
            "REGISTRY_AUTH_HTPASSWD_PATH": f"/run/secrets/{REGISTRY_HTPASSWD.name}",
            "REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY": "/var/lib/registry",
        },
        "volumes": ["registry:/var/lib/registry"],
        "secrets": [REGISTRY_HTPASSWD.name],
    }


_DIGEST = f"${{{SPEC_DIGEST_VARIABLE}:-}}"


def _digest_file(config: str) -> str:
    """Beside an environment's HAProxy configuration: the digest of the spec it was written
    from. HAProxy starts only once it is the digest of the spec ``up`` started it for, so a
    recreated HAProxy never starts from what the previous receiver wrote."""
    return f"{config}.spec-sha256"


def _receiver(spec: Spec) -> dict[str, Any]:
    steps = []
    for env in spec.environments:
        if env.release is not None:
            steps.append(f"jenkinsgen release proxy-config {SPEC_IN_CONTAINER} --env {env.name}")
            steps.append(f"echo {_DIGEST} >{_digest_file(env.release.proxy.config)}")
    steps.append(
        f"exec jenkinsgen release serve {SPEC_IN_CONTAINER} "
        "--listen ${BIND_ADDRESS}:${RECEIVER_PORT} "
        f"--token-file {HANDED_SECRETS}/{DEPLOY_TOKEN.name}"
    )
    return {
        "image": "${RECEIVER_IMAGE}",
        "network_mode": "host",
        "restart": "unless-stopped",
        "init": True,
        "user": "0:0",
        "entrypoint": ["/usr/local/bin/jenkinsgen-entrypoint"],
        "command": ["sh", "-ec", "\n".join(steps)],
        "environment": {
            "JENKINSGEN_USER": "nobody",
            "JENKINSGEN_DATA_DIR": RELEASE_ROOT,
            "JENKINSGEN_SECRETS_FROM": "/run/secrets",
            "SECRETS": HANDED_SECRETS,
        },
        "volumes": [
            f"release:{RELEASE_ROOT}",
            f"${{DOCKER_SOCKET}}:{_SOCKET}",
            f"./{SPEC_FILE}:{SPEC_IN_CONTAINER}:ro",
        ],
        "tmpfs": ["/run/jenkinsgen"],
        "secrets": [DEPLOY_TOKEN.name],
        "labels": dict(SPEC_LABEL),
    }


def _proxy(config: str) -> dict[str, Any]:
    ready = f'[ -f {config} ] && [ "$$(cat {_digest_file(config)} 2>/dev/null)" = "{_DIGEST}" ]'
    start = f"until {ready}; do sleep 1; done\nexec haproxy -W -db -f {config}"
    return {
        "image": "${PROXY_IMAGE}",
        "network_mode": "host",
        "restart": "unless-stopped",
        "user": _NOBODY,
        "cap_drop": ["ALL"],
        "security_opt": ["no-new-privileges:true"],
        "depends_on": [RECEIVER],
        "command": ["sh", "-ec", start],
        "volumes": [f"release:{RELEASE_ROOT}"],
        "labels": dict(SPEC_LABEL),
    }


def compose_document(spec: Spec) -> dict[str, Any]:
    """The compose file as a mapping (key order is the file's)."""
    services: dict[str, Any] = {CONTROLLER: _controller(spec), REGISTRY: _registry()}
    volumes: dict[str, Any] = {"jenkins_home": {}, "registry": {}}
    secrets = {s.name: s for s in (*controller_secrets(spec), REGISTRY_HTPASSWD)}
    if _releases(spec):
        services[RECEIVER] = _receiver(spec)
        secrets[DEPLOY_TOKEN.name] = DEPLOY_TOKEN
        volumes["release"] = {}
        for env in spec.environments:
            if env.release is not None:
                services[proxy_service(env.name)] = _proxy(env.release.proxy.config)
    return {
        "services": services,
        "volumes": volumes,
        "secrets": {name: {"file": f"./{s.path}"} for name, s in sorted(secrets.items())},
    }


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _block_text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _block_text)


def render_compose(spec: Spec) -> str:
    """The text of ``compose.yaml`` for ``spec``."""
    header = (
        "# The jenkinsgen stack, written by `jenkinsgen init` from jenkinsgen.yaml; `jenkinsgen\n"
        "# up .` builds the images and runs it (docker compose v2 or docker-compose v1 read\n"
        "# it as it is; ${NAME} comes from .env). Every service uses the host's network and\n"
        "# listens on BIND_ADDRESS only. Volumes keep the data across `jenkinsgen down`.\n"
    )
    body = yaml.dump(
        compose_document(spec),
        Dumper=_Dumper,
        sort_keys=False,
        default_flow_style=False,
        width=100,
        allow_unicode=True,
    )
    return header + body
