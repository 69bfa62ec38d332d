"""The typed spec (version 1): what the loader returns and the rest of jenkinsgen reads.

Every object is frozen; collections are tuples, so a Spec is hashable and safe to share.
Values here have passed validation: names are safe Jenkins item names, enums are valid,
cross references (service environments) resolve.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Deploy = Literal["auto", "manual"]
Layout = Literal["per-environment", "multibranch"]


@dataclass(frozen=True)
class Defaults:
    """Settings shared by every service.

    ``push_credentials`` is the id of a secret-text credential: the token a Git server's push
    webhook must send to start the jobs (None: no push trigger is rendered).
    """

    registry: str
    registry_credentials: str
    agent: str = "docker"
    container: str | None = None
    timeout_minutes: int = 60
    builds_to_keep: int = 20
    push_credentials: str | None = None


@dataclass(frozen=True)
class Environment:
    """A deployment environment chosen by a Git branch (exact name or glob)."""

    name: str
    branch: str
    deploy: Deploy = "auto"
    approvers: tuple[str, ...] = ()
    approval_timeout_minutes: int = 60
    release: Release | None = None

    @property
    def manual(self) -> bool:
        return self.deploy == "manual"

    @property
    def is_glob(self) -> bool:
        branch = self.branch
        return "*" in branch or "?" in branch or "[" in branch

    @property
    def confirm(self) -> Confirm | None:
        """How a release here is confirmed (``release.confirm``, by default as ``deploy``);
        None without a release block."""
        if self.release is None:
            return None
        return self.release.confirm or self.deploy


@dataclass(frozen=True)
class TestStep:
    """The test command and, optionally, the JUnit report pattern to publish."""

    command: str
    junit: str | None = None


@dataclass(frozen=True)
class Image:
    """How the service's image is built: name under the registry, Dockerfile, context."""

    name: str
    dockerfile: str = "Dockerfile"
    context: str = "."
    build_args: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Trigger:
    """The deploy webhook and the id of the credentials (a secret text) that authorise it."""

    webhook: str
    credentials: str | None = None


@dataclass(frozen=True)
class Service:
    """One service: its repository, its build and test commands, its image and trigger."""

    name: str
    repo: str
    build: str
    image: Image
    repo_credentials: str | None = None
    test: TestStep | None = None
    trigger: Trigger | None = None
    environments: tuple[str, ...] | None = None
    run: Run | None = None


#: Repository name of the seed image under ``defaults.registry`` when ``seed.image`` is unset.
SEED_IMAGE = "jenkinsgen-seed"


@dataclass(frozen=True)
class Seed:
    """The seed job: checks out the config repo and runs ``jenkinsgen apply`` from it, inside
    the seed image (``image``, tagged with the jenkinsgen version that rendered the job)."""

    repo: str
    jenkins_credentials: str
    jenkins_url: str
    credentials: str | None = None
    branch: str = "main"
    spec: str = "jenkinsgen.yaml"
    name: str = "seed"
    image: str | None = None
    image_credentials: str | None = None


DockerMode = Literal["socket", "dind"]


@dataclass(frozen=True)
class DockerCloud:
    """docker-plugin clouds: one per Docker host URI, each capped at ``max_instances``.

    ``credentials`` is the id of Docker server credentials (TLS client certificates) used
    for tcp:// hosts, never the certificates themselves.
    """

    hosts: tuple[str, ...]
    max_instances: int = 4
    credentials: str | None = None


@dataclass(frozen=True)
class KubernetesCloud:
    """A kubernetes-plugin cloud with one pod template; ``docker`` chooses how the agent
    reaches an engine: the node's socket (hostPath) or a privileged docker:dind sidecar."""

    namespace: str = "jenkins"
    server_url: str | None = None
    credentials: str | None = None
    jenkins_url: str | None = None
    max_instances: int = 10
    docker: DockerMode = "socket"
    dind_image: str = "docker:dind"
    websocket: bool = False


@dataclass(frozen=True)
class AgentTemplate:
    """The ``agents:`` section: on-demand agents provisioned by Jenkins clouds."""

    label: str
    image: str
    remote_fs: str = "/home/jenkins/agent"
    idle_minutes: int = 10
    docker: DockerCloud | None = None
    kubernetes: KubernetesCloud | None = None


Confirm = Literal["auto", "manual"]


@dataclass(frozen=True)
class Proxy:
    """The HAProxy in front of an environment: its frontend, runtime API socket and the
    configuration file ``release proxy-config`` writes."""

    listen: str
    admin_socket: str
    config: str


@dataclass(frozen=True)
class Release:
    """An environment's runtime for blue-green releases (``environments[].release``).

    ``ports`` is the inclusive range slot ports are allocated from; ``confirm`` is resolved
    by the loader (it defaults to the environment's ``deploy``).
    """

    ports: tuple[int, int]
    proxy: Proxy
    state_dir: str
    docker_host: str = "unix:///var/run/docker.sock"
    network: str = "host"
    confirm: Confirm | None = None
    drain_timeout: int = 300


@dataclass(frozen=True)
class Run:
    """How a service runs in a release environment (``services[].run``); ``hosts`` is
    resolved by the loader (it defaults to the service name)."""

    port: int = 8080
    health: str = "/healthz"
    health_timeout: int = 60
    hosts: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Spec:
    """A validated spec. ``source`` is the file it was loaded from (for messages)."""

    folder: str
    defaults: Defaults
    environments: tuple[Environment, ...]
    services: tuple[Service, ...]
    layout: Layout = "per-environment"
    seed: Seed | None = None
    agents: AgentTemplate | None = None
    version: int = 1
    source: str = field(default="<spec>", compare=False)

    def environment(self, name: str) -> Environment:
        for env in self.environments:
            if env.name == name:
                return env
        raise KeyError(name)

    def environments_of(self, service: Service) -> tuple[Environment, ...]:
        """The environments a service takes part in, in spec order."""
        if service.environments is None:
            return self.environments
        wanted = set(service.environments)
        return tuple(e for e in self.environments if e.name in wanted)
