"""The ``agents:`` section of spec v1: Jenkins clouds that provision agents on demand.

Declared with the same field types as the rest of v1 (see ``spec/v1.py``), so the validator
and the JSON Schema agree.  This module imports nothing from ``v1`` (which imports it); the
two patterns it shares with v1 are asserted equal in the tests.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from jenkinsgen.spec import model
from jenkinsgen.spec.fields import Bool, Field, Int, List, Obj, ObjRule, Str

#: Same as ``v1.CREDENTIALS_ID`` / ``v1.LABEL``.
CREDENTIALS_ID = r"[A-Za-z0-9][A-Za-z0-9._@:-]*"
LABEL = r"[A-Za-z0-9._-]+(?:(?: && | \|\| )[A-Za-z0-9._-]+)*"
#: The agent image: a repository path with an optional tag or digest.
IMAGE = (
    r"[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]+)?(?:/[a-z0-9]+(?:[._-]+[a-z0-9]+)*)*"
    r"(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?"
)
#: What the docker-plugin (docker-java) can reach: a local socket or a TCP endpoint.
DOCKER_URI = r"unix:///[A-Za-z0-9._/-]+|tcp://[A-Za-z0-9.-]+:[0-9]{1,5}"
#: A Kubernetes namespace (DNS-1123 label).
NAMESPACE = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
ABS_PATH = r"/[A-Za-z0-9._/-]*"


def _http_url(value: str) -> str | None:
    parts = urlsplit(value)
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or any(ch.isspace() for ch in value)
    ):
        return f"{value!r} is not an http(s) URL"
    if parts.password is not None or parts.username is not None:
        return "URL must not embed credentials; give a Jenkins credentials id instead"
    return None


def _docker_port(value: str) -> str | None:
    if value.startswith("tcp://") and not 1 <= int(value.rsplit(":", 1)[1]) <= 65535:
        return f"{value!r}: the port must be 1-65535"
    return None


def _cred(description: str) -> Str:
    return Str(
        description=description,
        pattern=CREDENTIALS_ID,
        pattern_hint="a Jenkins credentials id, never a secret",
    )


def _url(description: str) -> Str:
    return Str(
        description=description,
        extra_check=_http_url,
        schema_pattern=r"^https?://[^\s/@]+(?:/\S*)?$",
    )


DOCKER_CLOUD = Obj(
    "agents.docker",
    {
        "hosts": Field(
            List(
                Str(
                    description="Docker host URI (unix:///path or tcp://host:port)",
                    pattern=DOCKER_URI,
                    pattern_hint="unix:///path/to/docker.sock or tcp://host:port",
                    extra_check=_docker_port,
                ),
                min_items=1,
                unique=True,
                description="Docker hosts; one docker-plugin cloud is generated per host",
            ),
            required=True,
        ),
        "max_instances": Field(
            Int(description="Most agent containers per host", minimum=1, maximum=1000), default=4
        ),
        "credentials": Field(
            _cred("Id of Docker server credentials (TLS client certificate) for tcp:// hosts")
        ),
    },
    build=lambda v: model.DockerCloud(**{**v, "hosts": tuple(v["hosts"])}),
    description="docker-plugin clouds: agents as containers on one or more Docker hosts",
)

KUBERNETES_CLOUD = Obj(
    "agents.kubernetes",
    {
        "namespace": Field(
            Str(
                description="Namespace the agent pods run in",
                pattern=NAMESPACE,
                pattern_hint="a DNS-1123 label",
            ),
            default="jenkins",
        ),
        "server_url": Field(_url("Kubernetes API URL (default: the cluster Jenkins runs in)")),
        "credentials": Field(_cred("Id of the credentials for the Kubernetes API")),
        "jenkins_url": Field(_url("Jenkins URL the agent pods connect to")),
        "max_instances": Field(
            Int(description="Most agent pods at once", minimum=1, maximum=10000), default=10
        ),
        "docker": Field(
            Str(
                description="socket: mount the node's /var/run/docker.sock; "
                "dind: a privileged docker:dind sidecar",
                enum=("socket", "dind"),
            ),
            default="socket",
        ),
        "dind_image": Field(
            Str(
                description="Image of the Docker-in-Docker sidecar",
                pattern=IMAGE,
                pattern_hint="an image reference",
            ),
            default="docker:dind",
        ),
        "websocket": Field(
            Bool(description="Agents connect over WebSocket (no TCP agent port)"), default=False
        ),
    },
    build=lambda v: model.KubernetesCloud(**v),
    description="A kubernetes-plugin cloud with one pod template",
)


def _needs_a_cloud(v: dict[str, Any]) -> tuple[str, str] | None:
    if v["docker"] is None and v["kubernetes"] is None:
        return ("docker", "agents needs a 'docker' or a 'kubernetes' cloud (or both)")
    return None


AGENTS = Obj(
    "agents",
    {
        "label": Field(
            Str(
                description="Label of the provisioned agents",
                pattern=LABEL,
                pattern_hint="a label such as docker",
            ),
            required=True,
        ),
        "image": Field(
            Str(
                description="Agent image (inbound agent with the docker CLI)",
                pattern=IMAGE,
                pattern_hint="an image reference such as registry.example.com/acme/jenkins-agent:1",
            ),
            required=True,
        ),
        "remote_fs": Field(
            Str(
                description="Agent work directory",
                pattern=ABS_PATH,
                pattern_hint="an absolute path",
            ),
            default="/home/jenkins/agent",
        ),
        "idle_minutes": Field(
            Int(description="Minutes an idle agent is kept", minimum=1, maximum=10080), default=10
        ),
        "docker": Field(DOCKER_CLOUD),
        "kubernetes": Field(KUBERNETES_CLOUD),
    },
    build=lambda v: model.AgentTemplate(**v),
    rules=[
        ObjRule(_needs_a_cloud, {"anyOf": [{"required": ["docker"]}, {"required": ["kubernetes"]}]})
    ],
    description="Clouds that let Jenkins provision Docker-socket agents on demand",
)
