"""``--verify``: compare each managed, current item's live config.xml with the rendered one.

The tree query only shows the digest in the description, and an edit in the web UI leaves
the description alone; so drift is found by reading each config.xml and comparing it
semantically (:mod:`jenkinsgen.sync.canonical`), since Jenkins re-serialises what it stores.

An item whose config.xml cannot be read or parsed becomes ``unverified``: an error for that
item alone (apply fails for it and applies the rest), never the end of the whole run.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from jenkinsgen.errors import JenkinsError
from jenkinsgen.jenkins.client import JenkinsClient, JenkinsRequestError
from jenkinsgen.sync.canonical import same_config
from jenkinsgen.sync.changes import Change, ChangeSet


def find_drift(
    client: JenkinsClient, changes: ChangeSet, workers: int = 8
) -> tuple[list[Change], list[Change]]:
    """Mark each ``unchanged`` item whose live config differs as ``drift``, and each whose
    live config cannot be read or parsed as ``unverified`` (both in ``changes``).

    Returns the drifted changes and the unverified ones (the reason says why).
    """
    todo = changes.with_action("unchanged")

    def check(change: Change) -> Change:
        assert change.item is not None
        try:
            live = client.get_config(change.path)
            if same_config(live, change.item.config_xml, change.full_name):
                return change
        except JenkinsError as exc:
            why = exc.detail if isinstance(exc, JenkinsRequestError) else _without_name(exc, change)
            return Change(
                "unverified",
                change.path,
                change.kind,
                f"cannot verify: {why}",
                change.item,
                change.live,
            )
        return Change("drift", change.path, change.kind, "edited by hand", change.item, change.live)

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        checked = [c for c in pool.map(check, todo) if c.action != "unchanged"]
    changes.replace(*checked)
    drifted = [c for c in checked if c.action == "drift"]
    unverified = [c for c in checked if c.action == "unverified"]
    return drifted, unverified


def _without_name(exc: JenkinsError, change: Change) -> str:
    text = str(exc)
    prefix = f"{change.full_name}: "
    return text[len(prefix) :] if text.startswith(prefix) else text
