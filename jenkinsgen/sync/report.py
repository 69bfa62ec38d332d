"""How diff and apply results are shown: a summary line, per-item lines, JSON documents."""

from __future__ import annotations

import difflib
from typing import Any

from jenkinsgen.sync.apply import ApplyReport
from jenkinsgen.sync.canonical import pretty_pair
from jenkinsgen.sync.changes import Change, ChangeSet

#: Past tense of each action for summaries, in display order.
VERBS = {
    "create": "created",
    "update": "updated",
    "adopt": "adopted",
    "drift": "repaired",
    "unchanged": "unchanged",
    "keep": "kept",
    "prune": "pruned",
    "prune-blocked": "not pruned",
    "conflict": "refused",
    "blocked": "blocked",
    "unverified": "not verified",
}


def config_diff(change: Change, live_xml: bytes) -> str:
    """Unified diff live → rendered of an update, both normalised the same way."""
    assert change.item is not None
    name = change.full_name
    live, rendered = pretty_pair(live_xml, change.item.config_xml, name)
    before, after = live.splitlines(keepends=True), rendered.splitlines(keepends=True)
    return "".join(
        difflib.unified_diff(before, after, f"live/{name}/config.xml", f"spec/{name}/config.xml")
    )


def diff_json(changes: ChangeSet, diffs: dict[str, str], url: str) -> dict[str, Any]:
    return {
        "owner": changes.owner,
        "url": url,
        "counts": changes.counts(),
        "items": [
            {
                "name": c.full_name,
                "kind": c.kind,
                "action": c.action,
                "reason": c.reason,
                **({"diff": diffs[c.full_name]} if c.full_name in diffs else {}),
            }
            for c in changes.changes
        ],
    }


def summary_line(report: ApplyReport, requests: int) -> str:
    """``apply delivery: 3 created, 1 updated, 12 unchanged, 1 failed (21 requests)``."""
    parts: list[str] = []
    counts = report.counts()  # one pass over thousands of outcomes, not one per figure

    def count(action: str, status: str | None = None) -> int:
        return sum(n for (a, s), n in counts.items() if a == action and status in (None, s))

    for action, verb in VERBS.items():
        n = count(action, "done") if action in _WRITE_LIKE else count(action)
        if action in _WRITE_LIKE and report.dry_run:
            n = count(action, "planned")
            verb = "to " + _PRESENT[action]
        if n:
            parts.append(f"{n} {verb}")
    prunable = count("prune", "noop")
    if prunable:
        parts.append(f"{prunable} prunable (--prune)")
    failed = sum(n for (_a, s), n in counts.items() if s == "failed")
    skipped = sum(n for (_a, s), n in counts.items() if s == "skipped")
    if failed:
        parts.append(f"{failed} failed")
    if skipped:
        parts.append(f"{skipped} skipped")
    head = "apply (dry run)" if report.dry_run else "apply"
    tail = " — interrupted" if report.interrupted else ""
    return (
        f"{head} {report.owner}: {', '.join(parts) or 'nothing to do'} "
        f"({requests} request{'' if requests == 1 else 's'}){tail}"
    )


_WRITE_LIKE = {"create", "update", "adopt", "drift", "prune"}
_PRESENT = {
    "create": "create",
    "update": "update",
    "adopt": "adopt",
    "drift": "repair",
    "prune": "prune",
}


def apply_json(report: ApplyReport, url: str, requests: int) -> dict[str, Any]:
    return {
        "owner": report.owner,
        "url": url,
        "dry_run": report.dry_run,
        "interrupted": report.interrupted,
        "ok": report.ok,
        "requests": requests,
        "items": [
            {
                "name": o.change.full_name,
                "kind": o.change.kind,
                "action": o.change.action,
                "status": o.status,
                **({"reason": o.change.reason} if o.change.reason else {}),
                **({"error": o.error} if o.error and o.status == "failed" else {}),
            }
            for o in report.outcomes
        ],
    }
