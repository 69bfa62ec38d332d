"""Plan: a validated Spec → the Jenkins items to render (pure, no I/O).

Item paths are tuples of Jenkins item names from the root, e.g.
``("teams", "payments", "orders", "dev")``. Folders come before their children, in a
stable order, so rendering and applying them in order creates parents first.

Per-environment layout::

    <folder...>/<service>/<env>        pipeline job, one per environment of the service

Multibranch layout::

    <folder...>/<service>               multibranch project (Jenkinsfile in the repo)
    <folder...>/<service>-scan          with ``defaults.push_credentials``: the pipeline job a
                                        push webhook starts; it schedules a scan of the project

A ``seed:`` section adds ``<folder...>/<seed.name>``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from jenkinsgen.gc_pause import gc_paused
from jenkinsgen.spec.model import Environment, Service, Spec

ItemPath = tuple[str, ...]
JobKind = Literal["pipeline", "multibranch", "seed", "scan"]

#: Suffix of the scan job beside each multibranch project (``orders`` → ``orders-scan``).
SCAN_SUFFIX = "-scan"


@dataclass(frozen=True)
class FolderPlan:
    """A folder to create (every level of ``spec.folder`` and one per service)."""

    path: ItemPath
    service: Service | None = None


@dataclass(frozen=True)
class JobPlan:
    """A job to render: a pipeline for one environment, a multibranch project, the scan job
    that a push webhook starts for a multibranch project, or the seed."""

    path: ItemPath
    kind: JobKind
    service: Service | None
    environments: tuple[Environment, ...]


@dataclass(frozen=True)
class Plan:
    """Everything one spec puts into Jenkins, parents before children."""

    spec: Spec
    folders: tuple[FolderPlan, ...]
    jobs: tuple[JobPlan, ...]

    @property
    def root(self) -> ItemPath:
        return tuple(self.spec.folder.split("/"))


def plan(spec: Spec) -> Plan:
    """The items ``spec`` asks for."""
    with gc_paused():  # thousands of small objects, no reference cycles (see gc_paused)
        return _plan(spec)


def _plan(spec: Spec) -> Plan:
    root = tuple(spec.folder.split("/"))
    folders = [FolderPlan(root[: i + 1]) for i in range(len(root))]
    jobs: list[JobPlan] = []
    if spec.seed is not None:
        jobs.append(JobPlan((*root, spec.seed.name), "seed", None, ()))
    for service in spec.services:
        envs = spec.environments_of(service)
        if spec.layout == "multibranch":
            jobs.append(JobPlan((*root, service.name), "multibranch", service, envs))
            if spec.defaults.push_credentials is not None:
                path = (*root, service.name + SCAN_SUFFIX)
                jobs.append(JobPlan(path, "scan", service, envs))
            continue
        folders.append(FolderPlan((*root, service.name), service))
        for env in envs:
            jobs.append(JobPlan((*root, service.name, env.name), "pipeline", service, (env,)))
    return Plan(spec, tuple(folders), tuple(jobs))
