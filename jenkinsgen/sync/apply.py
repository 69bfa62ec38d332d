"""Executing a ChangeSet: bounded concurrency, parents before children, safe interruption.

Each write is a single request carrying a complete config.xml (createItem, or POST
config.xml), so Jenkins holds every item either old or new, never half-written. On Ctrl-C
no new write is started, the ones in flight finish, and the report says what was skipped.
Failures are per item: the rest is applied and running again converges.

Scheduling is linear in the number of changes: each change counts the changes it waits for
(a write its nearest ancestor's write, a delete the deletes of its direct descendants), each
finished change counts its dependents down, and those that reach zero join a ready queue.

A create that finds the item already there (someone made it after the tree query, or an
earlier attempt landed but its answer was lost) never overwrites it blindly: the item is read
again and decided by the same rules as planning (:func:`jenkinsgen.sync.changes.recheck`).
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from typing import Literal

from jenkinsgen.gc_pause import gc_paused
from jenkinsgen.jenkins.client import ItemExistsError, JenkinsClient, JenkinsRequestError
from jenkinsgen.sync.changes import REFUSED, WRITES, Change, ChangeSet, recheck

log = logging.getLogger("jenkinsgen.sync")

Status = Literal["done", "failed", "skipped", "planned", "noop"]
Path = tuple[str, ...]


@dataclass(frozen=True)
class Outcome:
    """What happened to one change (``change`` is the change as finally decided)."""

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
        counts = self.counts()
        if status is not None:
            return counts.get((action, status), 0)
        return sum(n for (a, _status), n in counts.items() if a == action)

    def counts(self) -> dict[tuple[str, Status], int]:
        """How many outcomes there are of each (action, status), in one pass."""
        out: dict[tuple[str, Status], int] = {}
        for o in self.outcomes:
            key = (o.change.action, o.status)
            out[key] = out.get(key, 0) + 1
        return out


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
    writes: list[Change] = []
    deletes: list[Change] = []
    results: dict[Path, Outcome] = {}
    with gc_paused():  # an outcome per change, no reference cycles (see gc_paused)
        for c in changes.changes:
            if c.action in WRITES:
                writes.append(c)
            elif c.action == "prune" and prune:
                deletes.append(c)
            elif c.action in REFUSED:
                results[c.path] = Outcome(c, "failed", c.reason)
            else:
                results[c.path] = Outcome(c, "noop")
        if dry_run:
            for c in (*writes, *deletes):
                results[c.path] = Outcome(c, "planned")
    if not dry_run:
        if writes or deletes:
            client.prime()

        def write(change: Change) -> Outcome:
            return _write(client, changes, change)

        def delete(change: Change) -> Outcome:
            return _delete(client, change)

        run = _Run(workers, results, progress, report)
        run.execute(writes, write, _parent_first(writes))
        if deletes and not report.interrupted:
            run.execute(deletes, delete, _children_first(deletes))
        for c in deletes:
            results.setdefault(c.path, Outcome(c, "skipped", "interrupted"))
    with gc_paused():
        report.outcomes = [
            results.get(c.path) or Outcome(c, "skipped", "interrupted") for c in changes.changes
        ]
    return report


# Dependencies as (number of changes each one waits for, who to tell when one finishes).
Deps = tuple[dict[Path, int], dict[Path, list[Path]]]


def _nearest_ancestor(path: Path, among: set[Path]) -> Path | None:
    for i in range(len(path) - 1, 0, -1):
        if path[:i] in among:
            return path[:i]
    return None


def _parent_first(writes: list[Change]) -> Deps:
    """Each write waits for its nearest ancestor's write (which waits for its own)."""
    paths = {c.path for c in writes}
    waits: dict[Path, int] = {}
    then: dict[Path, list[Path]] = {}
    for c in writes:
        parent = _nearest_ancestor(c.path, paths)
        waits[c.path] = 0 if parent is None else 1
        if parent is not None:
            then.setdefault(parent, []).append(c.path)
    return waits, then


def _children_first(deletes: list[Change]) -> Deps:
    """Each delete waits for the deletes of the items directly below it."""
    paths = {c.path for c in deletes}
    waits = dict.fromkeys(paths, 0)
    then: dict[Path, list[Path]] = {}
    for c in deletes:
        parent = _nearest_ancestor(c.path, paths)
        if parent is not None:
            waits[parent] += 1
            then[c.path] = [parent]
    return waits, then


class _Run:
    """Runs changes on a thread pool in dependency order (one instance per apply)."""

    def __init__(
        self,
        workers: int,
        results: dict[Path, Outcome],
        progress: ProgressFn | None,
        report: ApplyReport,
    ) -> None:
        self.workers = max(1, workers)
        self.results = results
        self.progress = progress
        self.report = report

    def finish(self, outcome: Outcome, path: Path) -> None:
        self.results[path] = outcome
        if self.progress is not None:
            self.progress(outcome)

    def execute(self, todo: list[Change], one: Callable[[Change], Outcome], deps: Deps) -> None:
        waits, then = deps
        by_path = {c.path: c for c in todo}
        unmet: set[Path] = set()  # changes one of whose dependencies did not succeed
        ready = deque(c for c in todo if waits[c.path] == 0)
        running: dict[Future[Outcome], Change] = {}
        stopping = False

        def settle(path: Path, ok: bool) -> None:
            """Count down the dependents of ``path``; skip those that can no longer run."""
            stack = [(path, ok)]
            while stack:
                done_path, done_ok = stack.pop()
                for dependent in then.get(done_path, ()):
                    if not done_ok:
                        unmet.add(dependent)
                    waits[dependent] -= 1
                    if waits[dependent]:
                        continue
                    if dependent in unmet:
                        change = by_path[dependent]
                        self.finish(
                            Outcome(change, "skipped", "a parent or child failed"), dependent
                        )
                        stack.append((dependent, False))
                    else:
                        ready.append(by_path[dependent])

        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            while ready or running:
                try:
                    while ready and not stopping and len(running) < self.workers:
                        change = ready.popleft()
                        running[pool.submit(one, change)] = change
                    if not running:
                        break
                    done, _ = wait(list(running), timeout=0.5, return_when=FIRST_COMPLETED)
                    for fut in done:
                        change = running.pop(fut)
                        outcome = fut.result()
                        self.finish(outcome, change.path)
                        settle(change.path, outcome.status in ("done", "noop"))
                except KeyboardInterrupt:
                    if not stopping:
                        log.warning("interrupted: finishing %d request(s) in flight", len(running))
                    stopping = True
                    self.report.interrupted = True
        for change in _unfinished(todo, self.results):
            self.finish(Outcome(change, "skipped", "interrupted"), change.path)


def _unfinished(todo: Iterable[Change], results: dict[Path, Outcome]) -> list[Change]:
    return [c for c in todo if c.path not in results]


def _write(client: JenkinsClient, changes: ChangeSet, change: Change) -> Outcome:
    assert change.item is not None
    try:
        if change.action != "create":
            client.update(change.path, change.item.config_xml)
        else:
            try:
                client.create(change.path, change.item.config_xml)
            except ItemExistsError as exc:
                return _exists(client, changes, change, exc)
    except JenkinsRequestError as exc:
        return Outcome(change, "failed", str(exc))
    log.debug("%s %s", change.action, change.full_name)
    return Outcome(change, "done")


def _exists(
    client: JenkinsClient, changes: ChangeSet, change: Change, exc: ItemExistsError
) -> Outcome:
    """createItem found the item there: read it again and decide as planning would."""
    live = client.get_item(change.path)
    if live is None:  # deleted again meanwhile: nothing is overwritten by reporting it
        return Outcome(change, "failed", str(exc))
    again = recheck(changes, change, live)
    log.debug("%s: exists on create (%s): %s", change.full_name, exc.detail, again.action)
    if again.action == "unchanged":  # exactly our item: an earlier attempt of ours landed
        return Outcome(change, "done")
    if again.action == "keep":
        return Outcome(again, "noop")
    if again.action in REFUSED:
        when = "while the create was retried" if exc.retried else "after apply read the list"
        reason = f"{again.reason}; made by someone else {when}, not overwritten"
        return Outcome(replace(again, reason=reason), "failed", reason)
    assert again.item is not None
    try:
        client.update(again.path, again.item.config_xml)
    except JenkinsRequestError as err:
        return Outcome(again, "failed", str(err))
    return Outcome(again, "done")


def _delete(client: JenkinsClient, change: Change) -> Outcome:
    try:
        client.delete(change.path)
    except JenkinsRequestError as exc:
        return Outcome(change, "failed", str(exc))
    log.debug("prune %s", change.full_name)
    return Outcome(change, "done")
