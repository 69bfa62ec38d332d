"""``--verify``: compare each managed, current item's live config.xml with the rendered one.

The tree query only shows the digest in the description, and an edit in the web UI leaves
the description alone; so drift is found by reading each config.xml and comparing it
semantically (:mod:`jenkinsgen.sync.canonical`), since Jenkins re-serialises what it stores.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from jenkinsgen.jenkins.client import JenkinsClient, JenkinsRequestError
from jenkinsgen.sync.canonical import same_config
from jenkinsgen.sync.changes import Change, ChangeSet


def find_drift(
    client: JenkinsClient, changes: ChangeSet, workers: int = 8
) -> tuple[list[Change], list[tuple[Change, JenkinsRequestError]]]:
    """Mark each ``unchanged`` item whose live config differs as ``drift`` (in ``changes``).

    Returns the drifted changes and the items whose config could not be read.
    """
    todo = changes.with_action("unchanged")
    drifted: list[Change] = []
    failed: list[tuple[Change, JenkinsRequestError]] = []

    def check(change: Change) -> tuple[Change, bytes | JenkinsRequestError]:
        try:
            return change, client.get_config(change.path)
        except JenkinsRequestError as exc:
            return change, exc

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for change, live in pool.map(check, todo):
            if isinstance(live, JenkinsRequestError):
                failed.append((change, live))
                continue
            assert change.item is not None
            if not same_config(live, change.item.config_xml, change.full_name):
                new = Change(
                    "drift", change.path, change.kind, "edited by hand", change.item, change.live
                )
                changes.replace(new)
                drifted.append(new)
    return drifted, failed
