"""Jenkinsfiles from job plans: a declarative pipeline per job, rendered from ``job-templates/``.

Three kinds (see :class:`jenkinsgen.plan.JobPlan`):

* ``pipeline``: one environment of one service; checks out that environment's branch itself
  (the job's config.xml embeds this script, so there is no SCM to take it from);
* ``multibranch``: the Jenkinsfile to commit into the service repository; Build and Test run on
  every branch, ``when { branch ... }`` picks the environment whose Image and Deploy trigger run;
* ``seed``: checks out the config repository and runs ``jenkinsgen apply --prune`` from it.

Values reach Groovy only through the filters of :mod:`jenkinsgen.render.groovy`; the Jinja
environment is strict (an undefined name is an error) and does no HTML escaping.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import jinja2

from jenkinsgen.errors import RenderError
from jenkinsgen.plan import JobPlan, Plan
from jenkinsgen.render.groovy import FILTERS
from jenkinsgen.spec.model import Defaults, Environment, Image, Seed, Service

__all__ = ["render_jenkinsfile", "template_dir"]

_PACKAGE_DIR = Path(__file__).resolve().parent.parent


def template_dir() -> Path:
    """Where the job templates are: inside the installed package (wheel) or the source tree."""
    for candidate in (_PACKAGE_DIR / "job-templates", _PACKAGE_DIR.parent / "job-templates"):
        if candidate.is_dir():
            return candidate
    raise RenderError(f"job templates not found beside {_PACKAGE_DIR}")


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(template_dir())),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,  # templates ship with the package; no mtime check per render
    )
    env.filters.update(FILTERS)
    return env


def _render(name: str, context: Mapping[str, Any]) -> str:
    try:
        return _environment().get_template(name).render(context)
    except jinja2.TemplateError as exc:  # a template bug or a missing value, never user input
        raise RenderError(f"job template {name}: {exc}") from exc


def registry_host(registry: str) -> str | None:
    """The host ``docker login`` needs for ``registry`` (None for Docker Hub paths)."""
    first = registry.split("/", 1)[0]
    if "." in first or ":" in first or first == "localhost":
        return first
    return None


@lru_cache(maxsize=1024)
def _image_script(image: Image) -> str:
    """The Image stage's shell script (shared by every environment of a service)."""
    return _render(
        "image.sh.j2",
        {
            "dockerfile": image.dockerfile,
            "context": image.context,
            "build_args": [f"{key}={value}" for key, value in image.build_args],
        },
    )


@cache
def _deploy_script(with_token: bool) -> str:
    """The Deploy trigger stage's shell script; it holds no spec value."""
    return _render("deploy.sh.j2", {"with_token": with_token})


def _options(defaults: Defaults) -> dict[str, Any]:
    return {
        "agent_label": defaults.agent,
        "timeout_minutes": defaults.timeout_minutes,
        "builds_to_keep": defaults.builds_to_keep,
    }


def _deploy_env(env: Environment, multibranch: bool) -> dict[str, Any]:
    comparator = None
    if multibranch:
        comparator = "GLOB" if env.is_glob else "EQUALS"
    return {
        "name": env.name,
        "branch": env.branch,
        "when_comparator": comparator,
        "manual": env.manual,
        "submitter": ",".join(env.approvers),
        "approval_timeout_minutes": env.approval_timeout_minutes,
    }


def _service_context(p: Plan, job: JobPlan, service: Service) -> dict[str, Any]:
    defaults = p.spec.defaults
    multibranch = job.kind == "multibranch"
    if not job.environments:
        raise RenderError("the service takes part in no environment")
    if not multibranch and len(job.environments) != 1:
        raise RenderError("a pipeline job deploys exactly one environment")
    checkout = None
    if not multibranch:
        checkout = {
            "url": service.repo,
            "branch": job.environments[0].branch,
            "credentials": service.repo_credentials,
        }
    image = service.image
    deploy_script = None
    if service.trigger is not None:
        deploy_script = _deploy_script(service.trigger.credentials is not None)
    return {
        **_options(defaults),
        "container": defaults.container,
        "registry_credentials": defaults.registry_credentials,
        "image_repo": f"{defaults.registry}/{image.name}",
        "registry_host": registry_host(defaults.registry),
        "checkout": checkout,
        "build": service.build,
        "test": service.test,
        "trigger": service.trigger,
        "environments": [_deploy_env(env, multibranch) for env in job.environments],
        "image_script": _image_script(image),
        "deploy_script": deploy_script,
    }


def _seed_context(p: Plan, seed: Seed) -> dict[str, Any]:
    return {
        **_options(p.spec.defaults),
        "jenkins_url": seed.jenkins_url,
        "jenkins_credentials": seed.jenkins_credentials,
        "checkout": {"url": seed.repo, "branch": seed.branch, "credentials": seed.credentials},
        "install_script": _render("seed-install.sh.j2", {"install": seed.install}),
        "apply_script": _render("seed-apply.sh.j2", {"spec": seed.spec}),
    }


def render_jenkinsfile(p: Plan, job: JobPlan) -> str:
    """The Jenkinsfile of ``job`` (deterministic text ending with a newline).

    Raises RenderError for a value no Groovy literal can carry (U+FFFF) and for a plan that
    does not fit the job kind.
    """
    name = "/".join(job.path)
    try:
        if job.kind == "seed":
            if p.spec.seed is None:
                raise RenderError("a seed job needs the spec's seed section")
            text = _render("seed.Jenkinsfile.j2", _seed_context(p, p.spec.seed))
        elif job.kind in ("pipeline", "multibranch"):
            if job.service is None:
                raise RenderError(f"a {job.kind} job needs a service")
            text = _render("Jenkinsfile.j2", _service_context(p, job, job.service))
        else:
            raise RenderError(f"unknown job kind {job.kind!r}")
    except RenderError as exc:
        raise RenderError(f"{name}: Jenkinsfile: {exc}") from exc
    return text if text.endswith("\n") else text + "\n"
