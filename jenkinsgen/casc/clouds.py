"""Configuration as Code for Jenkins clouds, rendered from the spec's ``agents:`` section.

Instead of a scheduler of our own, scaling out is left to the two plugins that already do it:
the docker-plugin (one cloud per Docker host, agent containers with the host's socket bind
mounted) and the kubernetes plugin (a pod template whose agent container mounts the node's
socket through a hostPath volume, or talks to a privileged ``docker:dind`` sidecar).

The key names and shapes follow the plugins' own JCasC examples and test resources
(docker-plugin ``configuration-as-code_current.yml``; kubernetes-plugin ``casc/*.yaml``), and
the conformance tests (tests/conformance) check every emitted key against the plugins' sources
at the pinned versions: it exists, is not deprecated, and each symbol names an implementation.
Only credential ids are emitted, never a secret.  Output is deterministic: the same spec gives
byte-identical YAML.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from jenkinsgen.casc.document import dump_yaml, literal
from jenkinsgen.spec.model import AgentTemplate, DockerCloud, KubernetesCloud, Spec

__all__ = ["LOCAL_HOST", "LocalAgents", "agents_casc", "cloud_name", "render_agents_casc"]

#: Where the agent reaches the engine, inside the container and on the host.
DOCKER_SOCKET = "/var/run/docker.sock"
#: The dind sidecar listens without TLS on the pod's loopback only (containers of a pod share
#: it); other pods cannot reach it.
DIND_HOST = "tcp://127.0.0.1:2375"
#: The sidecar's arguments.  Starting with ``dockerd`` bypasses the docker image entrypoint's
#: defaults, which with TLS off would listen on ``tcp://0.0.0.0:2375``: an unauthenticated,
#: privileged engine reachable from every pod of the cluster.
DIND_ARGS = f"dockerd --host=unix:///var/run/docker.sock --host={DIND_HOST} --tls=false"
AGENT_CONTAINER = "jnlp"
#: This machine's engine, as the spec names it.
LOCAL_HOST = f"unix://{DOCKER_SOCKET}"


def cloud_name(uri: str) -> str:
    """A stable, readable cloud name for a Docker host URI (``docker-build-1.example.com-2376``)."""
    if uri == LOCAL_HOST:
        return "docker-local"
    rest = uri.split("://", 1)[-1]
    slug = re.sub(r"[^A-Za-z0-9.]+", "-", rest).strip("-")
    return f"docker-{slug}"


@dataclass(frozen=True)
class LocalAgents:
    """How agents on this machine's engine (``unix:///var/run/docker.sock``) run, where the
    spec does not say: ``network`` (docker-plugin's ``network``, e.g. ``host`` so that agents
    reach services bound to loopback) and ``groups`` (``extraGroupsString``: ``--group-add``
    for the socket's group; a JCasC reference such as ``${DOCKER_GID}`` is kept as one)."""

    network: str | None = None
    groups: tuple[str, ...] = ()


def _docker_clouds(
    agents: AgentTemplate, docker: DockerCloud, local: LocalAgents | None
) -> list[dict[str, Any]]:
    clouds: list[dict[str, Any]] = []
    for uri in docker.hosts:
        host: dict[str, Any] = {"uri": uri}
        if docker.credentials and uri.startswith("tcp://"):
            host["credentialsId"] = docker.credentials
        base: dict[str, Any] = {
            "image": agents.image,
            "mounts": [f"type=bind,src={DOCKER_SOCKET},dst={DOCKER_SOCKET}"],
        }
        if local is not None and uri == LOCAL_HOST:
            if local.network:
                base["network"] = literal(local.network)
            if local.groups:
                base["extraGroupsString"] = "\n".join(local.groups)
        template = {
            "labelString": agents.label,
            "dockerTemplateBase": base,
            "remoteFs": agents.remote_fs,
            # attach: the plugin execs the agent inside the container over the Docker API,
            # so no JNLP secret is ever placed in the container's command line.
            "connector": {"attach": {"user": "jenkins"}},
            "instanceCapStr": str(docker.max_instances),
            "retentionStrategy": {"idleMinutes": agents.idle_minutes},
        }
        clouds.append(
            {
                "docker": {
                    "name": cloud_name(uri),
                    "dockerApi": {"dockerHost": host},
                    "templates": [template],
                }
            }
        )
    return clouds


def _kubernetes_cloud(agents: AgentTemplate, k8s: KubernetesCloud) -> dict[str, Any]:
    # The agent's work directory is its container's workingDir: PodTemplate.setRemoteFs is
    # @Deprecated in the kubernetes plugin, and JCasC rejects deprecated attributes by default.
    agent: dict[str, Any] = {
        "name": AGENT_CONTAINER,
        "image": agents.image,
        "workingDir": agents.remote_fs,
    }
    template: dict[str, Any] = {
        "name": f"{_slug(agents.label)}-agent",
        "label": agents.label,
        "namespace": k8s.namespace,
        "idleMinutes": agents.idle_minutes,
        "instanceCapStr": str(k8s.max_instances),
        "hostNetwork": False,
        "yamlMergeStrategy": "override",
    }
    if k8s.docker == "socket":
        template["containers"] = [agent]
        template["volumes"] = [
            {"hostPathVolume": {"hostPath": DOCKER_SOCKET, "mountPath": DOCKER_SOCKET}}
        ]
    else:
        agent["envVars"] = [{"envVar": {"key": "DOCKER_HOST", "value": DIND_HOST}}]
        dind = {
            "name": "dind",
            "image": k8s.dind_image,
            "privileged": True,
            "args": DIND_ARGS,
        }
        template["containers"] = [agent, dind]
        template["volumes"] = [{"emptyDirVolume": {"mountPath": "/var/lib/docker"}}]
    cloud: dict[str, Any] = {"name": "kubernetes", "namespace": k8s.namespace}
    if k8s.server_url:
        cloud["serverUrl"] = literal(k8s.server_url)
    if k8s.credentials:
        cloud["credentialsId"] = k8s.credentials
    if k8s.jenkins_url:
        cloud["jenkinsUrl"] = literal(k8s.jenkins_url)
    if k8s.websocket:
        cloud["webSocket"] = True
    cloud["containerCapStr"] = str(k8s.max_instances)
    cloud["templates"] = [template]
    return {"kubernetes": cloud}


def _slug(label: str) -> str:
    return re.sub(r"[^a-z0-9-]+", "-", label.lower()).strip("-") or "agent"


def agents_casc(agents: AgentTemplate, local: LocalAgents | None = None) -> dict[str, Any]:
    """The JCasC document (``{"jenkins": {"clouds": [...]}}``) for an ``agents:`` section;
    ``local`` adds settings to the cloud on this machine's engine (``jenkinsgen up``)."""
    clouds: list[dict[str, Any]] = []
    if agents.docker is not None:
        clouds.extend(_docker_clouds(agents, agents.docker, local))
    if agents.kubernetes is not None:
        clouds.append(_kubernetes_cloud(agents, agents.kubernetes))
    return {"jenkins": {"clouds": clouds}}


def render_agents_casc(spec: Spec, local: LocalAgents | None = None) -> str | None:
    """``casc/agents.yaml`` text for the spec, or None when it has no ``agents:`` section."""
    if spec.agents is None:
        return None
    header = (
        "# Configuration as Code for on-demand agents, generated by jenkinsgen from the\n"
        "# spec's agents: section. Needs the docker-plugin and/or kubernetes plugin.\n"
    )
    body = dump_yaml(agents_casc(spec.agents, local))
    return header + body
