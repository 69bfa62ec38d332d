"""The public API of jenkinsgen.bundle does not grow by accident."""

from __future__ import annotations

import jenkinsgen.bundle


def test_public_names() -> None:
    assert sorted(jenkinsgen.bundle.__all__) == [
        "Lock",
        "LockedPlugin",
        "PluginRequest",
        "Resolution",
        "UpdateCenter",
        "Version",
        "download",
        "mirror_url",
        "pluginlist",
        "read_lock",
        "resolve",
        "updatecenter",
        "verify",
        "write_lock",
    ]
    for name in jenkinsgen.bundle.__all__:
        assert hasattr(jenkinsgen.bundle, name)
    assert callable(jenkinsgen.bundle.resolve)
