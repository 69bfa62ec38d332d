"""Who can settle a Pipeline ``input`` under a rendered authorization strategy: a model.

This is a double of two pieces of Jenkins, written from their sources at the pinned versions
and tied to them by the fact table's ``evidence`` entries (each a pattern that must match the
pinned source; ``scripts/jenkins-facts.py`` fails when one no longer does):

- pipeline-input-step ``InputStepExecution`` (proceed: ``canSettle``; abort:
  ``preAbortCheck``): with a ``submitter``, an Overall/Administer holder settles any input
  (``input-admin-settles-any-input``); otherwise the user id or one of the user's groups must
  be named (``input-submitter-matches-user-id``/``-group``). Anyone with Job/Cancel may abort
  (``input-cancel-aborts-any-input``).
- core permissions: Overall/Administer implies every permission; Job/Cancel is implied by the
  generic Update permission, not by Job/Build (``job-cancel-implied-by-generic-update-not-build``).
  To reach a build's input page at all, a user needs Overall/Read and Job/Read.

The real proof is the e2e scenario (tests/e2e/test_approval_gate_e2e.py) on a real controller.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["EVIDENCE", "User", "can_abort", "can_proceed", "permissions_of"]

#: The fact-table evidence this model relies on.
EVIDENCE = (
    "input-admin-settles-any-input",
    "input-cancel-aborts-any-input",
    "input-submitter-matches-user-id",
    "input-submitter-matches-group",
    "job-cancel-implied-by-generic-update-not-build",
)
ADMINISTER = "Overall/Administer"


@dataclass(frozen=True)
class User:
    """A logged-in user: id and group authorities (``authenticated`` is implied)."""

    id: str
    groups: tuple[str, ...] = ()


def permissions_of(strategy: dict[str, Any], user: User) -> set[str]:
    """The permissions ``user`` holds under a rendered ``authorizationStrategy`` value."""
    ((kind, config),) = strategy.items()
    if kind == "loggedInUsersCanDoAnything":
        return {ADMINISTER}
    if kind != "globalMatrix":
        raise ValueError(f"no model for the {kind!r} authorization strategy")
    groups = {"authenticated", *user.groups}
    held: set[str] = set()
    for entry in config["entries"]:
        ((sid_kind, child),) = entry.items()
        name = child["name"]
        if (
            (sid_kind == "user" and name == user.id)
            or (sid_kind == "group" and name in groups)
            or (sid_kind == "userOrGroup" and (name == user.id or name in groups))
        ):
            held.update(child["permissions"])
    return held


def _has(held: set[str], permission: str) -> bool:
    return ADMINISTER in held or permission in held


def _reaches(held: set[str]) -> bool:
    return _has(held, "Overall/Read") and _has(held, "Job/Read")


def can_proceed(strategy: dict[str, Any], user: User, submitter: str) -> bool:
    """Whether ``user`` can approve an input whose ``submitter`` is set."""
    held = permissions_of(strategy, user)
    if not _reaches(held):
        return False
    if ADMINISTER in held:
        return True
    names = {s.strip() for s in submitter.split(",")}
    return user.id in names or bool(names & {"authenticated", *user.groups})


def can_abort(strategy: dict[str, Any], user: User, submitter: str) -> bool:
    """Whether ``user`` can abort (reject) that input."""
    held = permissions_of(strategy, user)
    return _reaches(held) and (_has(held, "Job/Cancel") or can_proceed(strategy, user, submitter))
