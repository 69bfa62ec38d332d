"""Spec objects for the Jenkinsfile tests, built directly (no YAML, no validator)."""

from __future__ import annotations

from dataclasses import replace

from jenkinsgen.plan import JobPlan, Plan, plan
from jenkinsgen.spec.model import (
    Defaults,
    Environment,
    Image,
    Proxy,
    Release,
    Run,
    Seed,
    Service,
    Spec,
    TestStep,
    Trigger,
)

#: The environments of DESIGN.md; staging follows ``release/*`` in the multibranch layout and
#: the exact branch ``release`` in the per-environment layout (where a glob needs the push
#: trigger, which these specs do not set; tests/render/test_pushed_branch.py covers globs).
ENVIRONMENTS = (
    Environment(name="dev", branch="develop"),
    Environment(name="staging", branch="release"),
    Environment(
        name="prod",
        branch="main",
        deploy="manual",
        approvers=("release-managers", "ops"),
        approval_timeout_minutes=30,
    ),
)


def service(**changes: object) -> Service:
    """The ``orders`` service of DESIGN.md, with ``changes`` applied."""
    base = Service(
        name="orders",
        repo="https://git.example.com/acme/orders.git",
        repo_credentials="git-ro",
        build="mvn -B -DskipTests package",
        test=TestStep(command="mvn -B test", junit="target/surefire-reports/*.xml"),
        image=Image(name="orders", build_args=(("VERSION", "1.0"),)),
        trigger=Trigger(
            webhook="https://deploy.example.com/hooks/orders", credentials="deploy-tok"
        ),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


MULTIBRANCH_ENVIRONMENTS = (
    ENVIRONMENTS[0],
    replace(ENVIRONMENTS[1], branch="release/*"),
    ENVIRONMENTS[2],
)


def spec(*services: Service, layout: str = "per-environment", **defaults: object) -> Spec:
    """A spec holding ``services`` (default: one ``orders``) and a seed job."""
    base_defaults = Defaults(
        registry="registry.example.com/acme",
        registry_credentials="registry-push",
        timeout_minutes=45,
        builds_to_keep=15,
    )
    return Spec(
        folder="delivery",
        defaults=replace(base_defaults, **defaults),  # type: ignore[arg-type]
        environments=MULTIBRANCH_ENVIRONMENTS if layout == "multibranch" else ENVIRONMENTS,
        services=services or (service(),),
        layout=layout,  # type: ignore[arg-type]
        seed=Seed(
            repo="https://git.example.com/acme/config.git",
            credentials="git-ro",
            jenkins_credentials="jenkins-api",
            jenkins_url="https://jenkins.example.com/",
        ),
    )


def jobs(s: Spec) -> tuple[Plan, list[JobPlan]]:
    p = plan(s)
    return p, list(p.jobs)


def job(s: Spec, kind: str, env: str | None = None) -> tuple[Plan, JobPlan]:
    """The first job of ``kind`` (for a pipeline: the one of environment ``env``)."""
    p = plan(s)
    for j in p.jobs:
        if j.kind != kind:
            continue
        if env is not None and j.environments[0].name != env:
            continue
        return p, j
    raise LookupError((kind, env))


def release_spec(layout: str = "per-environment") -> Spec:
    """``spec()`` whose staging (confirm: auto) and prod (confirm: manual) have a release."""

    def release(confirm: str, first: int) -> Release:
        return Release(
            ports=(first, first + 99),
            proxy=Proxy(listen="127.0.0.1:8480", admin_socket="/run/a.sock", config="/a.cfg"),
            state_dir="/var/lib/jenkinsgen",
            confirm=confirm,  # type: ignore[arg-type]
        )

    dev, staging, prod = MULTIBRANCH_ENVIRONMENTS if layout == "multibranch" else ENVIRONMENTS
    envs = (
        dev,
        replace(staging, release=release("auto", 21000)),
        replace(prod, release=release("manual", 22000)),
    )
    return replace(spec(service(run=Run(hosts=("orders",))), layout=layout), environments=envs)
