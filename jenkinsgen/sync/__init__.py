"""Sync: diff and apply rendered items to a Jenkins controller, statelessly, by digest.

::

    Rendered + one tree query ──plan_changes──▶ ChangeSet ──(find_drift)──▶ apply_changes
"""

from jenkinsgen.sync.apply import ApplyReport, Outcome, apply_changes
from jenkinsgen.sync.canonical import canonical_xml, same_config
from jenkinsgen.sync.changes import Change, ChangeSet, plan_changes
from jenkinsgen.sync.verify import find_drift

__all__ = [
    "ApplyReport",
    "Change",
    "ChangeSet",
    "Outcome",
    "apply_changes",
    "canonical_xml",
    "find_drift",
    "plan_changes",
    "same_config",
]
