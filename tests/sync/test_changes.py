"""plan_changes: stateless decisions from the marker in each live description."""

from __future__ import annotations

from collections.abc import Set as AbstractSet

from jenkinsgen.jenkins.client import FOLDER_CLASS, LiveItem
from jenkinsgen.render.digest import marker_line
from jenkinsgen.render.model import Rendered
from jenkinsgen.sync.changes import KIND_CLASSES, plan_changes
from tests.sync.helpers import rendered

FREESTYLE = "hudson.model.FreeStyleProject"


def _live(
    r: Rendered, *, skip: AbstractSet[str] = frozenset(), stale: AbstractSet[str] = frozenset()
) -> list[LiveItem]:
    """The live tree after applying ``r`` (minus ``skip``; ``stale`` with an old digest)."""
    out = []
    for item in r.items:
        if item.full_name in skip:
            continue
        digest = "1" * 64 if item.full_name in stale else item.digest
        desc = "text\n\n" + marker_line(item.owner or r.owner, digest)
        out.append(LiveItem(item.path, KIND_CLASSES[item.kind], desc))
    return out


def _actions(changes: object) -> dict[str, str]:
    return {c.full_name: c.action for c in changes.changes}  # type: ignore[attr-defined]


def test_empty_controller_creates_everything_parents_first() -> None:
    r = rendered(services=2)
    changes = plan_changes(r, [])
    assert [c.action for c in changes.changes] == ["create"] * len(r.items)
    assert [c.path for c in changes.changes] == [i.path for i in r.items]


def test_digest_decides_unchanged_and_update() -> None:
    r = rendered(services=2)
    changes = plan_changes(r, _live(r, stale={"delivery/s1/prod"}, skip={"delivery/s0/dev"}))
    acts = _actions(changes)
    assert acts["delivery/s1/prod"] == "update"
    assert acts["delivery/s0/dev"] == "create"
    assert acts["delivery/s1/dev"] == "unchanged"
    assert changes.counts() == {"unchanged": len(r.items) - 2, "update": 1, "create": 1}


def test_unmanaged_job_is_refused_unless_adopted() -> None:
    r = rendered(services=1)
    live = _live(r, skip={"delivery/s0/dev"})
    live.append(LiveItem(("delivery", "s0", "dev"), KIND_CLASSES["pipeline"], "by hand"))
    assert _actions(plan_changes(r, live))["delivery/s0/dev"] == "conflict"
    assert _actions(plan_changes(r, live, adopt=["delivery/s0/dev"]))["delivery/s0/dev"] == (
        "adopt"
    )
    assert _actions(plan_changes(r, live, adopt_all=True))["delivery/s0/dev"] == "adopt"


def test_other_owner_needs_explicit_adopt() -> None:
    r = rendered(services=1)
    live = _live(r, skip={"delivery/s0/dev"})
    foreign = "x\n\n" + marker_line("other", "2" * 64)
    live.append(LiveItem(("delivery", "s0", "dev"), KIND_CLASSES["pipeline"], foreign))
    changes = plan_changes(r, live, adopt_all=True)
    change = next(c for c in changes.changes if c.full_name == "delivery/s0/dev")
    assert change.action == "conflict" and "owner other" in change.reason
    assert _actions(plan_changes(r, live, adopt=["delivery/s0/dev"]))["delivery/s0/dev"] == (
        "adopt"
    )


def test_existing_unmanaged_folder_is_kept_and_used() -> None:
    r = rendered(services=1)
    live = [LiveItem(("delivery",), FOLDER_CLASS, "made by an admin")]
    acts = _actions(plan_changes(r, live))
    assert acts["delivery"] == "keep"
    assert acts["delivery/s0/dev"] == "create"


def test_wrong_kind_in_the_way_blocks_children() -> None:
    r = rendered(services=1)
    live = [LiveItem(("delivery", "s0"), FREESTYLE, "")]
    changes = plan_changes(r, live)
    acts = _actions(changes)
    assert acts["delivery/s0"] == "conflict"
    assert acts["delivery/s0/dev"] == acts["delivery/s0/prod"] == "blocked"


def test_prune_candidates_only_this_owner_and_folders_without_strangers() -> None:
    r = rendered(services=1)
    live = _live(rendered(services=3))  # s1, s2 left the spec
    live.append(LiveItem(("delivery", "s2", "handmade"), FREESTYLE, "by hand"))
    live.append(LiveItem(("delivery", "s1", "other"), FREESTYLE, marker_line("other", "3" * 64)))
    live.append(LiveItem(("unrelated",), FREESTYLE, ""))
    changes = plan_changes(r, live)
    acts = _actions(changes)
    assert acts["delivery/s1/dev"] == acts["delivery/s2/prod"] == "prune"
    assert acts["delivery/s1"] == acts["delivery/s2"] == "prune-blocked"
    assert "delivery/s2/handmade" not in acts and "unrelated" not in acts
    assert "delivery/s1/other" not in acts
    prunes = [c.path for c in changes.changes if c.action.startswith("prune")]
    assert prunes == sorted(prunes, key=lambda p: (-len(p), p))  # deepest first
