"""The spec ``jenkinsgen init`` writes: every block of the spec, wired to the stack.

Its registry is the stack's registry, its deploy triggers go to the stack's release receiver,
each environment has a release block whose HAProxy, admin socket and state live in the
stack's release volume (``/var/lib/jenkinsgen``), its agents are docker-plugin containers on
this machine's engine from the image ``up`` builds, and its seed job applies to the stack's
Jenkins. Repositories and commands are placeholders for the user's own.
"""

from __future__ import annotations

from jenkinsgen.stack.settings import Ports, Settings

__all__ = ["RELEASE_ROOT", "example_spec"]

#: Where release files live in the receiver and HAProxy containers (one named volume).
RELEASE_ROOT = "/var/lib/jenkinsgen"

_ENVIRONMENTS = (
    ("dev", "develop", "auto", None),
    ("staging", "release/*", "auto", None),
    ("prod", "main", "manual", "release-managers"),
)


def _environment(
    index: int, name: str, branch: str, deploy: str, approvers: str | None, host: str, ports: Ports
) -> str:
    first = ports.slots + 100 * index
    lines = [f"  - name: {name}", f"    branch: {branch}"]
    lines.append(f"    deploy: {deploy}")
    if approvers:
        lines.append(f"    approvers: [{approvers}]  # who may approve, confirm, roll back")
    lines += [
        "    release:",
        f"      ports: {first}-{first + 99}",
        "      proxy:",
        f"        listen: {host}:{ports.proxy + index}",
        f"        admin_socket: {RELEASE_ROOT}/{name}/haproxy.sock",
        f"        config: {RELEASE_ROOT}/{name}/haproxy.cfg",
        f"      state_dir: {RELEASE_ROOT}/{name}/state",
    ]
    return "\n".join(lines)


def example_spec(settings: Settings, ports: Ports, folder: str = "delivery") -> str:
    """The text of ``jenkinsgen.yaml`` for a stack with ``settings``."""
    host = settings.bind_address
    envs = "\n".join(
        _environment(i, *entry, host=host, ports=ports) for i, entry in enumerate(_ENVIRONMENTS)
    )
    receiver = settings.receiver_url
    return f"""\
# The delivery spec of this stack, written by `jenkinsgen init`. Edit it, then run
# `jenkinsgen up .` again: jobs, casc and images follow. Reference: docs/stack.md and the
# README's spec reference. Repositories and commands below are placeholders for yours.
version: 1
folder: {folder}
layout: per-environment
defaults:
  agent: docker                            # the label of the agents below
  # the stack's registry (REGISTRY_PORT in .env); `up` makes registry-push for it
  registry: {settings.registry}/{folder.lower()}
  registry_credentials: registry-push      # made by `up` from secrets/registry-password
  push_credentials: git-push-token         # made by `up` from secrets/push-token
environments:                              # Git workflow: branch -> environment
{envs}
services:
  - name: orders
    repo: https://git.example.com/acme/orders.git
    build: make build
    test: {{command: make test, junit: build/test-results/*.xml}}
    image: {{name: orders}}
    trigger: {{webhook: {receiver}/hooks/orders, credentials: deploy-token}}
    run: {{health: /healthz, hosts: [orders.localhost]}}   # the app listens on $PORT
  - name: web
    repo: https://git.example.com/acme/web.git
    build: npm ci && npm run build
    test: npm test
    image: {{name: web, dockerfile: Dockerfile, context: .}}
    trigger: {{webhook: {receiver}/hooks/web, credentials: deploy-token}}
    run: {{health: /healthz, hosts: [web.localhost]}}
    environments: [dev, staging]
seed:                                      # re-applies this spec on every push to its repo
  repo: https://git.example.com/acme/jenkins-config.git
  jenkins_credentials: jenkins-admin       # made by `up`: the admin account
  jenkins_url: {settings.jenkins_url}
agents:                                    # Jenkins starts agents on demand
  label: docker
  # AGENT_IMAGE in .env: `up` builds it
  image: {settings.agent_image}
  docker:
    hosts: [unix:///var/run/docker.sock]
    max_instances: 4
"""
