"""Executing a ChangeSet: bounded concurrency, parents before children, safe interruption.

Each write is a single request carrying a complete config.xml (createItem, or POST
config.xml), so Jenkins holds every item either old or new, never half-written. On Ctrl-C
no new write is started, the ones in flight finish, and the report says what was skipped.
Failures are per item: the rest is applied and running again converges.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Literal

from jenkinsgen.jenkins.client import JenkinsClient, JenkinsRequestError
from jenkinsgen.sync.changes import REFUSED, WRITES, Change, ChangeSet

log = logging.getLogger("jenkinsgen.sync")

Status = Literal["done", "failed", "skipped", "planned", "noop"]


@dataclass(frozen=True)
class Outcome:
    """What happened to one change."""

    change: Change
    status: Status
    error: str = ""


@dataclass
class ApplyReport:
    """The outcome of every change, in ChangeSet order."""

    owner: str
    dry_run: bool
    outcomes: list[Outcome] = field(default_factory=list)
    interrupted: bool = False

    @property
    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "failed"]

    @property
    def ok(self) -> bool:
        return not self.failures and not self.interrupted

    def count(self, action: str, status: Status | None = None) -> int:
        return sum(
            1
            for o in self.outcomes
            if o.change.action == action and (status is None or o.status == status)
        )


ProgressFn = Callable[[Outcome], None]


def apply_changes(
    client: JenkinsClient,
    changes: ChangeSet,
    workers: int = 8,
    prune: bool = False,
    dry_run: bool = False,
    progress: ProgressFn | None = None,
) -> ApplyReport:
    """Write ``changes`` to Jenkins (or, with ``dry_run``, only report them)."""
    report = ApplyReport(changes.owner, dry_run)
    writes = [c for c in changes.changes if c.action in WRITES]
    deletes = [c for c in changes.changes if c.action == "prune" and prune]
    results: dict[tuple[str, ...], Outcome] = {}
    for c in changes.changes:
        if c.action in REFUSED:
            results[c.path] = Outcome(c, "failed", c.reason)
        elif c not in writes and c not in deletes:
            results[c.path] = Outcome(c, "noop")
    if dry_run:
        for c in writes + deletes:
            results[c.path] = Outcome(c, "planned")
    else:
        if writes or deletes:
            client.prime()
        _run(client, writes, workers, results, progress, report, _write_deps(writes))
        if deletes and not report.interrupted:
            _run(client, deletes, workers, results, progress, report, _delete_deps(deletes))
        for c in deletes:
            results.setdefault(c.path, Outcome(c, "skipped", "interrupted"))
    report.outcomes = [
        results.get(c.path) or Outcome(c, "skipped", "interrupted") for c in changes.changes
    ]
    return report


def _write_deps(writes: list[Change]) -> dict[tuple[str, ...], list[tuple[str, ...]]]:
    """Each write waits for the writes of its ancestors (parents first)."""
    paths = {c.path for c in writes}
    return {
        c.path: [c.path[:i] for i in range(1, len(c.path)) if c.path[:i] in paths] for c in writes
    }


def _delete_deps(deletes: list[Change]) -> dict[tuple[str, ...], list[tuple[str, ...]]]:
    """Each delete waits for the deletes of its descendants (children first)."""
    return {
        c.path: [
            d.path for d in deletes if len(d.path) > len(c.path) and d.path[: len(c.path)] == c.path
        ]
        for c in deletes
    }


def _run(
    client: JenkinsClient,
    todo: list[Change],
    workers: int,
    results: dict[tuple[str, ...], Outcome],
    progress: ProgressFn | None,
    report: ApplyReport,
    deps: dict[tuple[str, ...], list[tuple[str, ...]]],
) -> None:
    pending = list(todo)
    running: dict[Future[Outcome], Change] = {}
    stopping = False

    def finish(outcome: Outcome) -> None:
        results[outcome.change.path] = outcome
        if progress is not None:
            progress(outcome)

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        while pending or running:
            try:
                if not stopping:
                    for change in list(pending):
                        if len(running) >= workers:
                            break
                        state = _ready(change, deps, results)
                        if state == "wait":
                            continue
                        pending.remove(change)
                        if state == "blocked":
                            finish(Outcome(change, "skipped", "a parent or child failed"))
                            continue
                        running[pool.submit(_one, client, change)] = change
                if not running:
                    if stopping or not pending:
                        break
                    continue
                done, _ = wait(list(running), timeout=0.5, return_when=FIRST_COMPLETED)
                for fut in done:
                    running.pop(fut)
                    finish(fut.result())
            except KeyboardInterrupt:
                if not stopping:
                    log.warning("interrupted: finishing %d request(s) in flight", len(running))
                stopping = True
                report.interrupted = True
        for change in pending:
            finish(Outcome(change, "skipped", "interrupted"))


def _ready(
    change: Change,
    deps: dict[tuple[str, ...], list[tuple[str, ...]]],
    results: dict[tuple[str, ...], Outcome],
) -> Literal["go", "wait", "blocked"]:
    for dep in deps.get(change.path, []):
        outcome = results.get(dep)
        if outcome is None:
            return "wait"
        if outcome.status != "done":
            return "blocked"
    return "go"


def _one(client: JenkinsClient, change: Change) -> Outcome:
    try:
        if change.action == "prune":
            client.delete(change.path)
        elif change.action == "create":
            assert change.item is not None
            client.create(change.path, change.item.config_xml)
        else:
            assert change.item is not None
            client.update(change.path, change.item.config_xml)
    except JenkinsRequestError as exc:
        return Outcome(change, "failed", str(exc))
    log.debug("%s %s", change.action, change.full_name)
    return Outcome(change, "done")
