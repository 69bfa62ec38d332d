"""Jenkinsfiles from job plans: a declarative pipeline per job, rendered from ``job-templates/``.

Four kinds (see :class:`jenkinsgen.plan.JobPlan`):

* ``pipeline``: one environment of one service; checks out that environment's branch itself
  (the job's config.xml embeds this script, so there is no SCM to take it from);
* ``multibranch``: the Jenkinsfile to commit into the service repository; Build and Test run on
  every branch, ``when { branch ... }`` picks the environment whose Image and Deploy trigger run;
* ``scan``: started by a push webhook, it schedules a scan of the service's multibranch project;
* ``seed``: checks out the config repository and runs ``jenkinsgen apply --prune`` from it
  inside the seed image of this jenkinsgen version (:func:`seed_image`).

A per-environment job of a glob environment (``release/*``) builds the branch its ``BRANCH``
parameter names, which the push trigger sets to the pushed branch
(:mod:`jenkinsgen.render.xml_push`): a first stage, on no executor, fails at once when
``BRANCH`` is empty (a start by hand without it) or when the glob does not match it
(:mod:`jenkinsgen.render.branch_glob`); the checkout passes ``params.BRANCH`` to the ``git``
step as a value, so the name never becomes script text.

A service pipeline holds no agent while it waits and has no pipeline-wide timeout: ``agent
none`` at the top, one agent for the stage group "Build and publish" (Checkout, Build, Test,
every environment's Image, and the Deploy trigger of automatic environments) under
``defaults.timeout_minutes``; a manual environment's approval (``input`` inside a ``timeout``
of ``approval_timeout_minutes``) runs on no executor, then its Deploy trigger takes an agent
again. The commit checked out is recorded in ``JENKINSGEN_COMMIT``, which tags the image and
names it to the deploy webhook, so an approval deploys the image built from the commit that
was tested.

An environment with a release block (and a service whose trigger has a token) adds top-level
stages after its Deploy trigger, each under its own timeout: "Release" waits on an agent until
the receiver reports the switch (``confirm: manual``) or the confirmation (``auto``); with
``confirm: manual``, "Confirm release" asks the approvers on no executor (Confirm or Roll back;
no answer in time rolls back) and "Settle release" tells the receiver on an agent; a rollback
fails the build. The release URL travels in ``JENKINSGEN_RELEASE_URL``, so no stage after
the trigger needs its workspace.

Values reach Groovy only through the filters of :mod:`jenkinsgen.render.groovy`; the Jinja
environment (:mod:`jenkinsgen.render.templates`) is strict (an undefined name is an error) and
does no HTML escaping.

The service template (``Jenkinsfile.j2``) is a row of blocks. A job's text is those blocks
rendered one by one and joined. The blocks that name the service (``environment { }`` and
Checkout) are rendered once per shape with markers, and each job's values are filled into
their slots through the same filters (:mod:`jenkinsgen.render.slots`); the other blocks are
cached by exactly the values they are rendered from, so thousands of services with the same
commands share one rendering. Tests prove the joined text equal to rendering the whole
template (:func:`_service_text_whole`), and the slots equal to the blocks they stand for.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from types import MappingProxyType
from typing import Any

import jinja2

from jenkinsgen.errors import RenderError
from jenkinsgen.plan import JobPlan, Plan
from jenkinsgen.render.branch_glob import NAME_CHARS_HINT, branch_regex
from jenkinsgen.render.groovy import groovy_env, groovy_str
from jenkinsgen.render.slots import Slots, marker
from jenkinsgen.render.templates import environment, render_template
from jenkinsgen.spec.model import (
    SEED_IMAGE,
    Defaults,
    Environment,
    Image,
    Run,
    Seed,
    Service,
    Spec,
)

__all__ = ["SeedImage", "render_jenkinsfile", "seed_image", "warm_templates"]


def registry_host(registry: str) -> str | None:
    """The host ``docker login`` needs for ``registry`` (None for Docker Hub paths)."""
    first = registry.split("/", 1)[0]
    if "." in first or ":" in first or first == "localhost":
        return first
    return None


def _image_script(image: Image) -> str:
    """The Image stage's shell script (it does not name the image: services share it)."""
    return _image_script_of(image.dockerfile, image.context, image.build_args)


@lru_cache(maxsize=1024, typed=True)
def _image_script_of(dockerfile: str, context: str, build_args: tuple[tuple[str, str], ...]) -> str:
    return render_template(
        "image.sh.j2",
        {
            "dockerfile": dockerfile,
            "context": context,
            "build_args": [f"{key}={value}" for key, value in build_args],
        },
    )


@cache
def _deploy_script(with_token: bool, release: bool = False) -> str:
    """The Deploy trigger stage's shell script; it holds no spec value. With ``release`` it
    also keeps the receiver's release URL (``.jenkinsgen-release.url``)."""
    return render_template("deploy.sh.j2", {"with_token": with_token, "release": release})


@cache
def _release_scripts() -> Mapping[str, Any]:
    """The Release stages' shell scripts (no spec value in them; read-only, as it is shared)."""
    wait = {
        "manual": render_template(
            "release.sh.j2", {"action": "wait", "wanted": "awaiting-confirm confirmed"}
        ),
        "auto": render_template("release.sh.j2", {"action": "wait", "wanted": "confirmed"}),
    }
    return MappingProxyType(
        {
            "release_deploy_script": _deploy_script(True, release=True),
            "release_wait_scripts": MappingProxyType(wait),
            "release_settle_script": render_template("release.sh.j2", {"action": "settle"}),
        }
    )


def _release_confirm(env: Environment, service: Service) -> str | None:
    """``manual``/``auto`` when the environment releases the service through the receiver
    (a release block and a trigger with a token), else None."""
    trigger = service.trigger
    if trigger is None or trigger.credentials is None:
        return None
    return env.confirm


def _minutes(seconds: int) -> int:
    """Whole minutes covering ``seconds``, plus 10 minutes for the receiver's own steps
    (pulling the image, starting the container, HAProxy's checks)."""
    return -(-seconds // 60) + 10


def _options(defaults: Defaults) -> dict[str, Any]:
    return {
        "agent_label": defaults.agent,
        "timeout_minutes": defaults.timeout_minutes,
        "builds_to_keep": defaults.builds_to_keep,
    }


def _env_key(env: Environment, multibranch: bool, service: Service) -> tuple[Any, ...]:
    """What the stages of ``env`` are rendered from, in the order of ``_ENV_KEYS``.

    The Release stage waits for the new version's health (``run.health_timeout``), and with
    ``confirm: auto`` also for the old one's drain (``drain_timeout``); Settle release waits
    for both (a confirm drains the old slot, a rollback the new one)."""
    comparator = None
    if multibranch:
        comparator = "GLOB" if env.is_glob else "EQUALS"
    confirm = _release_confirm(env, service)
    wait = settle = 0
    if confirm is not None and env.release is not None:
        health = (service.run or Run()).health_timeout
        drain = env.release.drain_timeout
        wait = _minutes(health + (drain if confirm == "auto" else 0))
        settle = _minutes(health + drain)
    return (
        env.name,
        env.branch,
        comparator,
        env.manual,
        ",".join(env.approvers),
        env.approval_timeout_minutes,
        confirm,
        wait,
        settle,
    )


def _deploy_env(env: Environment, multibranch: bool, service: Service) -> dict[str, Any]:
    return dict(zip(_ENV_KEYS, _env_key(env, multibranch, service), strict=True))


_SERVICE_TEMPLATE = "Jenkinsfile.j2"
_SCAN_TEMPLATE = "scan.Jenkinsfile.j2"

#: The names an environment has in the service template (``env.name``, ...).
_ENV_KEYS = (
    "name",
    "branch",
    "when_comparator",
    "manual",
    "submitter",
    "approval_timeout_minutes",
    "release_confirm",
    "release_wait_minutes",
    "release_settle_minutes",
)


def warm_templates() -> None:
    """Compile the templates now (before forking workers, so each does not compile them)."""
    env = environment()
    for name in (_SERVICE_TEMPLATE, "image.sh.j2", "deploy.sh.j2", "release.sh.j2", _SCAN_TEMPLATE):
        env.get_template(name)
    _macros()


@cache
def _macros() -> Any:
    """macros.j2 as ``{% import "macros.j2" as m %}`` makes it (its macros take no context)."""
    return environment().get_template("macros.j2").module


def _render_block(block: str, context: Mapping[str, Any]) -> str:
    """One block of the service template, rendered with ``context`` (and the macros) only."""
    try:
        template = environment().get_template(_SERVICE_TEMPLATE)
        ctx = template.new_context({"m": _macros(), **context}, shared=True)
        return "".join(template.blocks[block](ctx))
    except jinja2.TemplateError as exc:  # a template bug or a missing value, never user input
        raise RenderError(f"job template {_SERVICE_TEMPLATE}: {exc}") from exc


@lru_cache(maxsize=1024, typed=True)
def _build_block(
    container: str | None,
    agent_label: str,
    build: str,
    test_command: str | None,
    test_junit: str | None,
) -> str:
    """The Build and Test stages: the same text for every service with the same commands."""
    return _render_block(
        "build",
        {
            "container": container,
            "agent_label": agent_label,
            "build": build,
            "test_command": test_command,
            "test_junit": test_junit,
        },
    )


@lru_cache(maxsize=4096, typed=True)
def _deliver_block(
    env: tuple[Any, ...],
    registry_credentials: str,
    image_script: str,
    deploy_script: str | None,
    deploy_credentials: str | None,
) -> str:
    """One environment's Deliver stage: it holds no service name, repository or webhook (they
    reach the scripts as environment variables), so services share its text."""
    return _render_block(
        "deliver",
        {
            "env": dict(zip(_ENV_KEYS, env, strict=True)),
            "registry_credentials": registry_credentials,
            "image_script": image_script,
            "deploy_script": deploy_script,
            "deploy_credentials": deploy_credentials,
            **_release_scripts(),
        },
    )


@lru_cache(maxsize=4096, typed=True)
def _gate_block(
    env: tuple[Any, ...],
    agent_label: str,
    timeout_minutes: int,
    deploy_script: str | None,
    deploy_credentials: str | None,
) -> str:
    """The stages of ``env`` after "Build and publish": a manual environment's Approve and
    Deploy trigger, and the Release stages of an environment with a release block (empty for
    an automatic environment without one, or without a deploy trigger)."""
    return _render_block(
        "gate",
        {
            "env": dict(zip(_ENV_KEYS, env, strict=True)),
            "agent_label": agent_label,
            "timeout_minutes": timeout_minutes,
            "deploy_script": deploy_script,
            "deploy_credentials": deploy_credentials,
            **_release_scripts(),
        },
    )


@cache
def _group_end_block() -> str:
    return _render_block("group_end", {})


@cache
def _tail_block() -> str:
    return _render_block("tail", {})


def _checkout(p: Plan, job: JobPlan, service: Service) -> dict[str, Any] | None:
    """What the Checkout stage checks out: the environment's branch, or for a glob the branch
    the ``BRANCH`` parameter names (None: ``checkout scm``, the revision a multibranch build
    was started for)."""
    environments = job.environments
    if not environments:
        raise RenderError("the service takes part in no environment")
    if job.kind == "multibranch":
        return None
    if len(environments) != 1:
        raise RenderError("a pipeline job deploys exactly one environment")
    env = environments[0]
    if env.is_glob and p.spec.defaults.push_credentials is None:
        raise RenderError(
            f"environment {env.name}: the glob {env.branch!r} needs defaults.push_credentials "
            "(the job builds the branch a push names) or layout: multibranch"
        )
    return {
        "url": service.repo,
        "branch": env.branch,
        "credentials": service.repo_credentials,
        "pushed": env.is_glob,
    }


@lru_cache(maxsize=256, typed=True)
def _branch_check(glob: str) -> Mapping[str, str]:
    """What the Branch stage of a glob environment's job checks ``BRANCH`` with (read-only,
    as it is shared)."""
    return MappingProxyType(
        {
            "pattern": branch_regex(glob),
            "missing": (
                f"No branch to build: BRANCH is empty. This job is started by the push webhook, "
                f"for a push to a branch that {glob} matches, and builds that branch; to start "
                f"it by hand, use Build with Parameters and set BRANCH to such a branch."
            ),
            "refused": (
                f"BRANCH does not name a branch that {glob} matches ({NAME_CHARS_HINT}); "
                "nothing was checked out."
            ),
        }
    )


def _pushed_glob(checkout: Mapping[str, Any] | None) -> str | None:
    """The glob of a job that checks out the branch a push names (None for any other job)."""
    if checkout is None or not checkout["pushed"]:
        return None
    glob: str = checkout["branch"]
    return glob


@lru_cache(maxsize=256, typed=True)
def _branch_check_block(glob: str | None) -> str:
    """The Branch stage of a glob environment's job ('' for any other job)."""
    return _render_block(
        "branch_check", {"branch_check": None if glob is None else _branch_check(glob)}
    )


@cache
def _multibranch_checkout_block() -> str:
    return _render_block("checkout", {"checkout": None})


def _service_context(p: Plan, job: JobPlan, service: Service) -> dict[str, Any]:
    """Every name the service template uses, for ``job``."""
    defaults = p.spec.defaults
    multibranch = job.kind == "multibranch"
    checkout = _checkout(p, job, service)
    image = service.image
    trigger = service.trigger
    deploy_script = None
    if trigger is not None:
        deploy_script = _deploy_script(trigger.credentials is not None)
    return {
        **_options(defaults),
        **_release_scripts(),
        "container": defaults.container,
        "registry_credentials": defaults.registry_credentials,
        "image_repo": f"{defaults.registry}/{image.name}",
        "registry_host": registry_host(defaults.registry),
        "deploy_webhook": trigger.webhook if trigger is not None else None,
        "checkout": checkout,
        "branch_check": None if (glob := _pushed_glob(checkout)) is None else _branch_check(glob),
        "build": service.build,
        "test_command": service.test.command if service.test is not None else None,
        "test_junit": service.test.junit if service.test is not None else None,
        "environments": [_deploy_env(env, multibranch, service) for env in job.environments],
        "image_script": _image_script(image),
        "deploy_script": deploy_script,
        "deploy_credentials": trigger.credentials if trigger is not None else None,
    }


@lru_cache(maxsize=64, typed=True)
def _head_block(builds_to_keep: int) -> str:
    return _render_block("head", {"builds_to_keep": builds_to_keep})


@lru_cache(maxsize=64, typed=True)
def _group_block(agent_label: str, timeout_minutes: int) -> str:
    """The opening of "Build and publish": its agent and timeout."""
    return _render_block("group", {"agent_label": agent_label, "timeout_minutes": timeout_minutes})


#: The filter each value of the per-job blocks goes through in ``Jenkinsfile.j2``.
_CHECKOUT_FILTERS = {"url": groovy_str, "branch": groovy_str, "credentials": groovy_str}
_ENVIRONMENT_FILTERS = {
    "image_repo": groovy_env,
    "registry_host": groovy_env,
    "deploy_webhook": groovy_env,
}


@cache
def _checkout_slots(pushed: bool, credentials: bool) -> Slots[str]:
    """The Checkout block of a job that checks out a fixed branch (or, ``pushed``, the one
    its ``BRANCH`` parameter names), with or without credentials, as slots."""
    names = ["url", *(() if pushed else ("branch",)), *(("credentials",) if credentials else ())]
    markers: dict[str, str | None] = {name: marker(name) for name in names}
    context = {
        "url": markers["url"],
        "branch": markers.get("branch"),
        "credentials": markers.get("credentials"),
        "pushed": pushed,
    }
    text = _render_block("checkout", {"checkout": context})
    return Slots(text, {name: _CHECKOUT_FILTERS[name](marker(name)) for name in names})


def _checkout_block(checkout: Mapping[str, Any]) -> str:
    """``_render_block("checkout", {"checkout": checkout})``, filled into its slots."""
    slots = _checkout_slots(checkout["pushed"], checkout["credentials"] is not None)
    return slots.fill({name: _CHECKOUT_FILTERS[name](checkout[name]) for name in slots.names})


@cache
def _environment_slots(host: bool, webhook: bool) -> Slots[str]:
    """The ``environment { }`` block, with or without the registry host and the webhook."""
    names = [
        "image_repo",
        *(("registry_host",) if host else ()),
        *(("deploy_webhook",) if webhook else ()),
    ]
    markers: dict[str, str | None] = {name: marker(name) for name in names}
    context = {name: markers.get(name) for name in _ENVIRONMENT_FILTERS}
    text = _render_block("environment", context)
    return Slots(text, {name: _ENVIRONMENT_FILTERS[name](marker(name)) for name in names})


@lru_cache(maxsize=64, typed=True)
def _environment_block(image_repo: str, host: str | None, deploy_webhook: str | None) -> str:
    """The service's ``environment { }`` (shared by the jobs of one service, made in a row):
    ``_render_block("environment", ...)`` with these values, filled into its slots."""
    values = {"image_repo": image_repo, "registry_host": host, "deploy_webhook": deploy_webhook}
    slots = _environment_slots(bool(host), deploy_webhook is not None)
    return slots.fill({name: _ENVIRONMENT_FILTERS[name](values[name]) for name in slots.names})


def _service_text(p: Plan, job: JobPlan, service: Service) -> str:
    """The service template's text for ``job``, block by block: only the checkout is rendered
    for every job; the other blocks come from caches keyed on exactly the values they are
    rendered from. Equal to rendering the whole template with :func:`_service_context`
    (tested), which also makes the same checks."""
    defaults = p.spec.defaults
    multibranch = job.kind == "multibranch"
    checkout = _checkout(p, job, service)
    trigger = service.trigger
    test = service.test
    parts = [
        _head_block(defaults.builds_to_keep),
        _environment_block(
            f"{defaults.registry}/{service.image.name}",
            registry_host(defaults.registry),
            trigger.webhook if trigger is not None else None,
        ),
        _branch_check_block(_pushed_glob(checkout)),
        _group_block(defaults.agent, defaults.timeout_minutes),
        _multibranch_checkout_block() if checkout is None else _checkout_block(checkout),
        _build_block(
            defaults.container,
            defaults.agent,
            service.build,
            test.command if test is not None else None,
            test.junit if test is not None else None,
        ),
    ]
    image_script = _image_script(service.image)
    deploy_script = None
    deploy_credentials = None
    if trigger is not None:
        deploy_credentials = trigger.credentials
        deploy_script = _deploy_script(deploy_credentials is not None)
    keys = [_env_key(env, multibranch, service) for env in job.environments]
    for key in keys:
        parts.append(
            _deliver_block(
                key, defaults.registry_credentials, image_script, deploy_script, deploy_credentials
            )
        )
    parts.append(_group_end_block())
    for key in keys:
        parts.append(
            _gate_block(
                key, defaults.agent, defaults.timeout_minutes, deploy_script, deploy_credentials
            )
        )
    parts.append(_tail_block())
    return "".join(parts)


def _service_text_whole(context: Mapping[str, Any]) -> str:
    """The service template rendered in one piece (what :func:`_service_text` must equal)."""
    return render_template(_SERVICE_TEMPLATE, context)


@dataclass(frozen=True)
class SeedImage:
    """Where the seed job's Apply stage runs: ``reference`` (repository:version) and what
    docker-workflow needs to pull it (``registry_url``, ``credentials``; None when not needed)."""

    reference: str
    registry_url: str | None
    credentials: str | None


def seed_image(spec: Spec) -> SeedImage:
    """The seed image of ``spec``: ``seed.image`` (default ``<defaults.registry>/jenkinsgen-seed``)
    tagged with this jenkinsgen's version, so the job runs the version that rendered it."""
    from jenkinsgen import __version__  # the package's own version, read when rendering

    seed = spec.seed
    if seed is None:
        raise RenderError("the spec has no seed section")
    repository = seed.image or f"{spec.defaults.registry}/{SEED_IMAGE}"
    credentials = seed.image_credentials
    if seed.image is None and credentials is None:
        credentials = spec.defaults.registry_credentials
    host = registry_host(repository)
    return SeedImage(
        reference=f"{repository}:{__version__}",
        registry_url=f"https://{host}" if host is not None else None,
        credentials=credentials,
    )


def _seed_context(p: Plan, seed: Seed) -> dict[str, Any]:
    image = seed_image(p.spec)
    return {
        **_options(p.spec.defaults),
        "jenkins_url": seed.jenkins_url,
        "jenkins_credentials": seed.jenkins_credentials,
        "checkout": {"url": seed.repo, "branch": seed.branch, "credentials": seed.credentials},
        "image": image.reference,
        "registry_url": image.registry_url,
        "registry_credentials": image.credentials,
        "apply_script": render_template("seed-apply.sh.j2", {"spec": seed.spec}),
    }


@lru_cache(maxsize=1024, typed=True)
def _scan_text(project: str, builds_to_keep: int) -> str:
    """The scan job's Jenkinsfile: schedules a scan of the multibranch project ``project``
    (its full name)."""
    return render_template(_SCAN_TEMPLATE, {"project": project, "builds_to_keep": builds_to_keep})


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
            text = render_template("seed.Jenkinsfile.j2", _seed_context(p, p.spec.seed))
        elif job.kind in ("pipeline", "multibranch"):
            if job.service is None:
                raise RenderError(f"a {job.kind} job needs a service")
            text = _service_text(p, job, job.service)
        elif job.kind == "scan":
            if job.service is None:
                raise RenderError("a scan job needs a service")
            project = "/".join((*p.root, job.service.name))
            text = _scan_text(project, p.spec.defaults.builds_to_keep)
        else:
            raise RenderError(f"unknown job kind {job.kind!r}")
    except RenderError as exc:
        raise RenderError(f"{name}: Jenkinsfile: {exc}") from exc
    return text if text.endswith("\n") else text + "\n"
