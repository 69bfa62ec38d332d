"""Everything jenkinsgen renders for Jenkins, for the conformance walk and the fact script.

- every ``config.xml`` and ``casc/*.yaml`` of every golden case (tests/golden/*/expected), which
  the golden tests prove byte-identical to what ``render`` writes;
- the controller's ``casc.yaml`` for every option that changes its keys (authorization,
  admin group, approvers, URL, agent port, executors, password file);
- ``casc/agents.yaml`` for every cloud option (docker unix/tcp with and without credentials,
  kubernetes socket and dind, websocket, server URL, credentials, Jenkins URL), and the local
  engine's network and extra groups that ``jenkinsgen up`` adds;
- the credentials ``jenkinsgen up`` bakes into the controller casc (usernamePassword, string).

A new option or golden case is walked as soon as it is added here (golden cases are found
on their own).

``CASC_IMPLEMENTATIONS`` is the declared part of the casc key -> class mapping: the classes
that a symbol key may select (an abstract attribute type such as ``securityRealm`` or
``clouds[]``). Every other class follows from the attribute types in the fact table.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from jenkinsgen.casc.clouds import LocalAgents, agents_casc
from jenkinsgen.casc.controller import ControllerConfig, controller_document
from jenkinsgen.casc.credentials import CascCredential
from jenkinsgen.spec.loader import load_spec_text

__all__ = [
    "CASC_IMPLEMENTATIONS",
    "CONTROLLER_VARIANTS",
    "GOLDEN",
    "Rendered",
    "rendered_casc",
    "rendered_xml",
]

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden"

CASC_IMPLEMENTATIONS = (
    "hudson.security.HudsonPrivateSecurityRealm",  # local
    "hudson.security.FullControlOnceLoggedInAuthorizationStrategy",  # loggedInUsersCanDoAnything
    "hudson.security.GlobalMatrixAuthorizationStrategy",  # globalMatrix (matrix-auth)
    "hudson.security.csrf.DefaultCrumbIssuer",  # standard
    "jenkins.model.JenkinsLocationConfiguration",  # unclassified: location
    "com.nirima.jenkins.plugins.docker.DockerCloud",  # docker
    "io.jenkins.docker.connector.DockerComputerAttachConnector",  # attach
    "org.csanchez.jenkins.plugins.kubernetes.KubernetesCloud",  # kubernetes
    "org.csanchez.jenkins.plugins.kubernetes.volumes.HostPathVolume",  # hostPathVolume
    "org.csanchez.jenkins.plugins.kubernetes.volumes.EmptyDirVolume",  # emptyDirVolume
    "org.csanchez.jenkins.plugins.kubernetes.model.KeyValueEnvVar",  # envVar
    "org.csanchez.jenkins.plugins.kubernetes.pod.yaml.Overrides",  # override
    "org.csanchez.jenkins.plugins.kubernetes.pod.yaml.Merge",  # merge
    "com.cloudbees.plugins.credentials.impl.UsernamePasswordCredentialsImpl",  # usernamePassword
    "org.jenkinsci.plugins.plaincredentials.impl.StringCredentialsImpl",  # string
)

CONTROLLER_VARIANTS: dict[str, ControllerConfig] = {
    "default": ControllerConfig(),
    "matrix+group+approvers": ControllerConfig(
        admin_group="jenkins-admins", approvers=("release-managers", "ops")
    ),
    "logged-in": ControllerConfig(authorization="logged-in"),
    "url+port+executors+file": ControllerConfig(
        url="https://ci.example.com/",
        agent_port=-1,
        executors=2,
        admin_password_file="/run/secrets/admin",
    ),
    # what `jenkinsgen up` bakes: credentials of both kinds, with and without a description
    "credentials (stack)": ControllerConfig(
        url="http://127.0.0.1:8080/",
        agent_port=-1,
        credentials=(
            CascCredential(
                "registry-push", "usernamePassword", "REGISTRY_PASSWORD", "jenkinsgen", "push"
            ),
            CascCredential("deploy-token", "string", "DEPLOY_TOKEN"),
            CascCredential("git-push-token", "string", "PUSH_TOKEN", description="push"),
        ),
    ),
}

_SPEC = """\
version: 1
folder: delivery
defaults: {registry: registry.example.com/acme, registry_credentials: reg}
environments: [{name: dev, branch: develop}]
services: [{name: orders, repo: "https://git.example.com/o.git", build: make}]
agents:
  label: docker
  image: registry.example.com/acme/jenkins-agent:1
"""


def _stack_example() -> tuple[ControllerConfig, str]:
    """The controller casc and clouds ``jenkinsgen up`` bakes for the spec ``init`` writes."""
    from jenkinsgen.casc.clouds import render_agents_casc
    from jenkinsgen.stack.controller import LOCAL_AGENTS, controller_config
    from jenkinsgen.stack.example import example_spec
    from jenkinsgen.stack.settings import DEFAULT_PORTS, default_settings

    settings = default_settings(Path("/srv/stack"), "127.0.0.1", DEFAULT_PORTS, "/run/d.sock", 1)
    spec = load_spec_text(example_spec(settings, DEFAULT_PORTS), "<init example>")
    clouds = render_agents_casc(spec, LOCAL_AGENTS)
    assert clouds is not None
    return controller_config(spec, settings), clouds


CLOUD_VARIANTS = {
    "docker unix+tcp+credentials": (
        "  docker: {hosts: ['unix:///var/run/docker.sock', 'tcp://b.example.com:2376'],"
        " credentials: docker-tls}\n"
    ),
    "docker tcp without credentials": "  docker: {hosts: ['tcp://b.example.com:2376']}\n",
    "kubernetes socket, every option": (
        "  kubernetes: {namespace: ci, server_url: 'https://k8s.example.com',"
        " credentials: k8s, jenkins_url: 'http://jenkins:8080/', websocket: true}\n"
    ),
    "kubernetes dind": "  kubernetes: {docker: dind, dind_image: 'docker:27-dind'}\n",
    "docker local (stack): network, extra groups": (
        "  docker: {hosts: ['unix:///var/run/docker.sock', 'tcp://b.example.com:2376']}\n"
    ),
}
#: The cloud options ``jenkinsgen up`` adds for the local engine, per variant (default: none).
CLOUD_LOCAL = {
    "docker local (stack): network, extra groups": LocalAgents("host", ("${DOCKER_GID}",)),
}


@dataclass(frozen=True)
class Rendered:
    """One rendered document: where it comes from (for messages) and its content."""

    where: str
    content: Any  # a parsed YAML mapping (casc) or XML bytes


def rendered_casc() -> Iterator[Rendered]:
    """Every JCasC document jenkinsgen renders, parsed."""
    for name, config in CONTROLLER_VARIANTS.items():
        yield Rendered(f"controller casc.yaml [{name}]", controller_document(config))
    stack_controller, stack_clouds = _stack_example()
    yield Rendered("controller casc.yaml [jenkinsgen up, init's spec]",
                   controller_document(stack_controller))  # fmt: skip
    yield Rendered("casc/agents.yaml [jenkinsgen up, init's spec]", yaml.safe_load(stack_clouds))
    for name, snippet in CLOUD_VARIANTS.items():
        spec = load_spec_text(_SPEC + snippet, f"<{name}>")
        assert spec.agents is not None
        local = CLOUD_LOCAL.get(name)
        yield Rendered(f"casc/agents.yaml [{name}]", agents_casc(spec.agents, local))
    for path in sorted(GOLDEN.glob("*/expected/casc/*.yaml")):
        yield Rendered(str(path.relative_to(ROOT)), yaml.safe_load(path.read_text()))


def rendered_xml() -> Iterator[Rendered]:
    """Every golden ``config.xml``, as bytes."""
    for path in sorted(GOLDEN.glob("*/expected/**/config.xml")):
        yield Rendered(str(path.relative_to(ROOT)), path.read_bytes())
