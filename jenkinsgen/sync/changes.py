"""What apply would do: the spec's rendered items against the live items, decided statelessly.

Every live item's description is read in one tree query; its marker (owner, digest) says
whether it is ours and whether it is current. Nothing is cached locally, so a fresh machine
decides exactly as a warm one.

Safety rules (docs/sync.md):

* an existing item without our marker is never overwritten unless adopted (``--adopt NAME``
  or ``--adopt-all``); another spec's item only by ``--adopt NAME``; an existing plain folder
  that is not ours is used as it is (``keep``);
* prune candidates carry *this* spec's owner and are no longer in the spec; a folder is a
  candidate only if everything inside it is one too (``prune-blocked`` otherwise); an item
  with the very content of a spec item is a copy made in the web UI, never a candidate.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from jenkinsgen.gc_pause import gc_paused
from jenkinsgen.jenkins.client import FOLDER_CLASS, LiveItem
from jenkinsgen.render.digest import parse_marker
from jenkinsgen.render.model import Rendered, RenderedItem

Action = Literal[
    "create",
    "update",
    "adopt",
    "drift",
    "unchanged",
    "keep",
    "conflict",
    "blocked",
    "prune",
    "prune-blocked",
    "unverified",
]
#: Actions that write to Jenkins (prune too, when asked for).
WRITES: frozenset[str] = frozenset({"create", "update", "adopt", "drift"})
#: Actions that make apply fail for that item without writing it.
REFUSED: frozenset[str] = frozenset({"conflict", "blocked", "unverified"})

#: The class Jenkins gives each kind of rendered item.
KIND_CLASSES = {
    "folder": FOLDER_CLASS,
    "pipeline": "org.jenkinsci.plugins.workflow.job.WorkflowJob",
    "seed": "org.jenkinsci.plugins.workflow.job.WorkflowJob",
    "scan": "org.jenkinsci.plugins.workflow.job.WorkflowJob",
    "multibranch": "org.jenkinsci.plugins.workflow.multibranch.WorkflowMultiBranchProject",
}


@dataclass(frozen=True)
class Change:
    """One item and what happens to it."""

    action: Action
    path: tuple[str, ...]
    kind: str
    reason: str = ""
    item: RenderedItem | None = None
    live: LiveItem | None = None

    @property
    def full_name(self) -> str:
        return "/".join(self.path)


@dataclass
class ChangeSet:
    """Changes for every spec item (parents first), then prune candidates (deepest first).

    ``adopt`` and ``adopt_all`` are what the plan was made with, so that an item found
    during apply (see :func:`recheck`) is decided by the same rules.
    """

    owner: str
    changes: list[Change] = field(default_factory=list)
    adopt: frozenset[str] = frozenset()
    adopt_all: bool = False

    def with_action(self, *actions: str) -> list[Change]:
        return [c for c in self.changes if c.action in actions]

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for c in self.changes:
            out[c.action] = out.get(c.action, 0) + 1
        return out

    def replace(self, *changes: Change) -> None:
        """Put each of ``changes`` in place of the change for the same path (one pass)."""
        new = {c.path: c for c in changes}
        for i, old in enumerate(self.changes):
            if old.path in new:
                self.changes[i] = new.pop(old.path)
        self.changes.extend(new.values())


def plan_changes(
    rendered: Rendered,
    live: Iterable[LiveItem],
    adopt: Iterable[str] = (),
    adopt_all: bool = False,
) -> ChangeSet:
    """Compare ``rendered`` with the ``live`` items of one tree query."""
    with gc_paused():  # a change per item, no reference cycles (see gc_paused)
        return _plan_changes(rendered, live, adopt, adopt_all)


def _plan_changes(
    rendered: Rendered,
    live: Iterable[LiveItem],
    adopt: Iterable[str],
    adopt_all: bool,
) -> ChangeSet:
    live_map = {item.path: item for item in live}
    adopt_names = frozenset(name.strip("/") for name in adopt)
    result = ChangeSet(rendered.owner, adopt=adopt_names, adopt_all=adopt_all)
    unusable: dict[tuple[str, ...], str] = {}  # path → why children cannot go there
    for item in rendered.items:
        change = _decide(rendered.owner, item, live_map.get(item.path), adopt_names, adopt_all)
        parent = None
        if unusable:  # a refused folder: its descendants are blocked
            parent = next((p for p in _ancestors(item.path) if p in unusable), None)
        if parent is not None:
            change = Change("blocked", item.path, item.kind, unusable[parent], item, change.live)
        if change.action in ("conflict", "blocked") and item.kind == "folder":
            unusable[item.path] = f"parent {'/'.join(item.path)} is not applied"
        result.changes.append(change)
    result.changes.extend(_prune_candidates(rendered, live_map))
    return result


def recheck(changes: ChangeSet, change: Change, live: LiveItem) -> Change:
    """``change`` decided again against ``live``, an item found where apply meant to create
    one (made after the tree query): by the rules of :func:`plan_changes`."""
    assert change.item is not None
    return _decide(changes.owner, change.item, live, changes.adopt, changes.adopt_all)


def _decide(
    spec_owner: str,
    item: RenderedItem,
    live: LiveItem | None,
    adopt: frozenset[str],
    adopt_all: bool,
) -> Change:
    if live is None:
        return Change("create", item.path, item.kind, "", item)
    expected = KIND_CLASSES.get(item.kind)
    if expected and live.cls and live.cls != expected:
        return Change(
            "conflict",
            item.path,
            item.kind,
            f"exists as {_short_class(live.cls)}; the spec wants a {item.kind} "
            "(delete or rename it by hand)",
            item,
            live,
        )
    owner = item.owner or spec_owner
    marker = parse_marker(live.description)
    if marker is not None and marker[0] == owner:
        if marker[1] == item.digest:
            return Change("unchanged", item.path, item.kind, "", item, live)
        if owner != spec_owner and item.kind == "folder":
            # a folder above this spec's root (owned by its own path) is shared: the spec
            # rooted there, or another nested spec, may have written it; it is never rewritten
            reason = f"shared folder above {spec_owner}, left as it is"
            return Change("keep", item.path, item.kind, reason, item, live)
        return Change("update", item.path, item.kind, "", item, live)
    name = item.full_name
    if marker is None:
        if name in adopt or adopt_all:
            return Change("adopt", item.path, item.kind, "not managed by jenkinsgen", item, live)
        if item.kind == "folder":
            return Change("keep", item.path, item.kind, "existing folder not managed", item, live)
        reason = "exists and is not managed by jenkinsgen (use --adopt to take it over)"
        return Change("conflict", item.path, item.kind, reason, item, live)
    if name in adopt:
        return Change("adopt", item.path, item.kind, f"owned by {marker[0]}", item, live)
    if item.kind == "folder":
        return Change("keep", item.path, item.kind, f"folder owned by {marker[0]}", item, live)
    reason = f"is managed by another spec (owner {marker[0]}); --adopt {name} takes it over"
    return Change("conflict", item.path, item.kind, reason, item, live)


def _prune_candidates(
    rendered: Rendered, live_map: dict[tuple[str, ...], LiveItem]
) -> list[Change]:
    wanted = {item.path for item in rendered.items}
    digests = {item.digest: item.full_name for item in rendered.items}
    ours: set[tuple[str, ...]] = set()
    out: list[Change] = []
    for path, live in live_map.items():
        marker = parse_marker(live.description)
        if path in wanted or marker is None or marker[0] != rendered.owner:
            continue
        if marker[1] in digests:
            # "Copy from" in the web UI copies the description, marker included: an item
            # with the content of another spec item is someone's copy, not a leftover
            reason = f"same content as {digests[marker[1]]}: a copy made by hand? (not pruned)"
            kind = "folder" if live.is_folder else _short_class(live.cls)
            out.append(Change("prune-blocked", path, kind, reason, None, live))
        else:
            ours.add(path)
    # what each candidate holds that is not a candidate: one walk up from every live item
    strangers: dict[tuple[str, ...], list[str]] = {}
    for path in live_map:
        if path in ours:
            continue
        for ancestor in _ancestors(path):
            if ancestor in ours:
                strangers.setdefault(ancestor, []).append("/".join(path))
    for path in ours:
        live = live_map[path]
        kind = "folder" if live.is_folder else _short_class(live.cls)
        if path in strangers:
            held = strangers[path]
            shown = ", ".join(sorted(held)[:3]) + (" ..." if len(held) > 3 else "")
            reason = f"holds items this spec does not manage: {shown}"
            out.append(Change("prune-blocked", path, kind, reason, None, live))
        else:
            out.append(Change("prune", path, kind, "no longer in the spec", None, live))
    return sorted(out, key=lambda c: (-len(c.path), c.path))


def _ancestors(path: tuple[str, ...]) -> list[tuple[str, ...]]:
    return [path[:i] for i in range(1, len(path))]


def _short_class(cls: str) -> str:
    return cls.rsplit(".", 1)[-1] or "unknown"
