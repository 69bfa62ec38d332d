"""The plugin bundle: plugin list → resolved, checksummed lock → verified archives on disk.

::

    requests = pluginlist.load("plugins.txt")
    center = updatecenter.load("update-center.json", "plugin-versions.json")
    result = resolve(requests, center, "2.249.3")        # Resolution(lock, warnings)
    write_lock(result.lock, "plugins.lock")
    paths = download(read_lock("plugins.lock"), "plugins/", mirror=None, workers=4)

See docs/bundle.md for the formats and the resolution rules.
"""

from __future__ import annotations

from jenkinsgen.bundle import pluginlist, updatecenter
from jenkinsgen.bundle.download import download, mirror_url, verify
from jenkinsgen.bundle.lock import Lock, LockedPlugin, read_lock, write_lock
from jenkinsgen.bundle.pluginlist import PluginRequest
from jenkinsgen.bundle.resolve import Resolution, resolve
from jenkinsgen.bundle.updatecenter import UpdateCenter
from jenkinsgen.bundle.version import Version

__all__ = [
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
