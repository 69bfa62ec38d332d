"""The plugins a spec's jobs and a stack controller's casc need, with the pins of
``images/controller/plugins.txt``: what ``jenkinsgen init`` writes to ``plugins.txt``.

Only plugins that something jenkinsgen renders names directly are listed (a step, a
declarative directive, a ``config.xml`` element, a casc key); their dependencies are
resolved into ``plugins.lock`` by ``jenkinsgen bundle`` like any other. Each entry says why
it is there, and the list is minimal: a spec without ``agents:`` gets no cloud plugin, one
without a manual gate no ``input`` step plugin, and so on.
"""

from __future__ import annotations

from dataclasses import dataclass

from jenkinsgen.errors import StackError
from jenkinsgen.spec.model import Spec

__all__ = ["NeededPlugin", "needed_plugins", "render_plugins_txt"]


@dataclass(frozen=True)
class NeededPlugin:
    """A plugin, its pinned version and what renders something that needs it."""

    name: str
    version: str
    why: str


def _reasons(spec: Spec) -> dict[str, str]:
    """plugin -> why, for everything the spec's output and the stack's casc name."""
    services = spec.services
    envs = spec.environments
    multibranch = spec.layout == "multibranch"
    manual = [e.name for e in envs if e.manual or e.confirm == "manual"]
    releases = [e for e in envs if e.release is not None]
    out = {
        "configuration-as-code": "the controller is configured by casc (admin, security, "
        "credentials)",
        "matrix-auth": "casc authorizationStrategy globalMatrix: only approvers settle gates",
        "credentials": "casc credentials: usernamePassword for registry_credentials",
        "cloudbees-folder": f"the folder {spec.folder!r} and one folder per service",
        "workflow-job": "pipeline jobs (flow-definition), disableConcurrentBuilds()",
        "workflow-cps": "the Jenkinsfiles' script definitions (CpsFlowDefinition)",
        "pipeline-model-definition": "declarative Jenkinsfiles (pipeline, agent, stages, when)",
        "workflow-durable-task-step": "sh steps and agent { label ... } (node)",
        "workflow-basic-steps": "timeout, echo, error" + (", readFile" if releases else ""),
        "git": "git checkout steps" + (" and GitSCMSource branch sources" if multibranch else ""),
        "timestamper": "the timestamps() option",
        "credentials-binding": "withCredentials around the image push"
        + (" and the deploy triggers" if any(s.trigger for s in services) else ""),
    }
    strings = []
    if spec.defaults.push_credentials:
        strings.append("push_credentials")
        out["generic-webhook-trigger"] = "push triggers (GenericTrigger, push_credentials)"
    if any(s.trigger is not None and s.trigger.credentials for s in services):
        strings.append("trigger credentials")
    if strings:
        out["plain-credentials"] = (
            f"casc credentials: string (secret text) for {', '.join(strings)}"
        )
    if any(s.test is not None and s.test.junit for s in services):
        out["junit"] = "junit steps (test.junit)"
    if manual:
        out["pipeline-input-step"] = f"input steps: manual gates of {', '.join(manual)}"
    docker_agent = []
    if spec.defaults.container:
        docker_agent.append("defaults.container")
    if spec.seed is not None:
        docker_agent.append("the seed job")
    if docker_agent:
        out["docker-workflow"] = f"agent {{ docker {{ ... }} }} for {' and '.join(docker_agent)}"
    if multibranch:
        out["workflow-multibranch"] = "multibranch projects (WorkflowMultiBranchProject)"
        out["branch-api"] = "multibranch branch sources and property strategies"
        out["scm-api"] = "the branch filter (WildcardSCMHeadFilterTrait)"
        out["workflow-scm-step"] = "checkout scm in the Jenkinsfile of each repository"
        if spec.defaults.push_credentials:
            out["pipeline-build-step"] = "the scan jobs' build step"
    if spec.agents is not None and spec.agents.docker is not None:
        out["docker-plugin"] = "casc clouds: docker (agents.docker)"
        out["docker-commons"] = "casc clouds: the Docker host endpoints (agents.docker.hosts)"
    if spec.agents is not None and spec.agents.kubernetes is not None:
        out["kubernetes"] = "casc clouds: kubernetes (agents.kubernetes)"
    return out


def needed_plugins(spec: Spec, pins: dict[str, str]) -> list[NeededPlugin]:
    """Every plugin the spec's jobs and the stack controller's casc need, sorted by name, each
    with its version from ``pins`` (``images/controller/plugins.txt``)."""
    reasons = _reasons(spec)
    unpinned = sorted(name for name in reasons if name not in pins)
    if unpinned:  # a jenkinsgen bug: every plugin it renders for is pinned
        raise StackError(f"images/controller/plugins.txt pins no version of {', '.join(unpinned)}")
    return [NeededPlugin(name, pins[name], reasons[name]) for name in sorted(reasons)]


def render_plugins_txt(spec: Spec, pins: dict[str, str], spec_name: str) -> str:
    """``plugins.txt`` (the jenkins-plugin-cli format ``bundle resolve`` reads)."""
    plugins = needed_plugins(spec, pins)
    width = max(len(f"{p.name}:{p.version}") for p in plugins) + 2
    lines = [
        f"# The plugins the jobs and the controller casc of {spec_name} need, written by",
        "# `jenkinsgen init` with the versions jenkinsgen pins (images/controller/plugins.txt).",
        "# Their dependencies are resolved into plugins.lock by `jenkinsgen up`. Plugins you",
        "# add are kept; `jenkinsgen up` refuses a list that lacks one the spec needs.",
    ]
    lines += [f"{f'{p.name}:{p.version}':<{width}}# {p.why}" for p in plugins]
    return "\n".join(lines) + "\n"
