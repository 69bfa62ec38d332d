"""The sync and jenkins packages export a small, deliberate API."""

from __future__ import annotations

import jenkinsgen.jenkins
import jenkinsgen.sync


def test_sync_api() -> None:
    assert sorted(jenkinsgen.sync.__all__) == [
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


def test_jenkins_api() -> None:
    assert sorted(jenkinsgen.jenkins.__all__) == [
        "Credentials",
        "JenkinsClient",
        "JenkinsRequestError",
        "LiveItem",
        "RetryPolicy",
        "load_credentials",
    ]
    for name in jenkinsgen.jenkins.__all__:
        assert getattr(jenkinsgen.jenkins, name).__doc__
