"""``plugins.lock``: the resolved plugin closure, pinned by version, URL and checksum.

The lock is JSON (stdlib only, diff-friendly, byte-identical for the same inputs)::

    {
      "lockVersion": 1,
      "jenkins": "2.249.3",
      "updateCenter": {"source": "...", "id": "default", "sha256": "<hex of the document>"},
      "pluginVersions": {"source": "...", "sha256": "<hex>"},      (or null)
      "plugins": [
        {"name": "junit", "version": "1.43", "url": "https://...", "sha256": "<hex>",
         "requiredCore": "2.222.4", "direct": true},
        ...
      ]
    }

``plugins`` is sorted by name; ``sha256`` is hex (what ``sha256sum`` prints), converted from the
update center's Base64; ``direct`` tells a plugin asked for from one pulled in as a dependency.
Keys are sorted, indentation is two spaces and the file ends with a newline; no timestamps.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jenkinsgen.atomic import write_atomic
from jenkinsgen.errors import BundleError

LOCK_VERSION = 1
_HEX = re.compile(r"[0-9a-f]{64}\Z")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\Z")


@dataclass(frozen=True, order=True)
class LockedPlugin:
    """One plugin archive of the bundle."""

    name: str
    version: str
    url: str
    sha256: str  # hex
    required_core: str = "1.0"
    direct: bool = False

    @property
    def filename(self) -> str:
        """The file name Jenkins expects in its plugins directory."""
        return f"{self.name}.jpi"


@dataclass(frozen=True)
class Lock:
    """A resolved bundle: the Jenkins version it was resolved for and its plugins."""

    jenkins: str
    update_center: dict[str, str]
    plugins: tuple[LockedPlugin, ...]
    plugin_versions: dict[str, str] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of the lock (plugins sorted by name)."""
        return {
            "lockVersion": LOCK_VERSION,
            "jenkins": self.jenkins,
            "updateCenter": dict(self.update_center),
            "pluginVersions": dict(self.plugin_versions) if self.plugin_versions else None,
            "plugins": [
                {
                    "name": p.name,
                    "version": p.version,
                    "url": p.url,
                    "sha256": p.sha256,
                    "requiredCore": p.required_core,
                    "direct": p.direct,
                }
                for p in sorted(self.plugins)
            ],
        }


def dumps(lock: Lock) -> str:
    """The lock's canonical text."""
    return json.dumps(lock.to_dict(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_lock(lock: Lock, path: str | Path) -> None:
    """Write the lock atomically (temp file in the same directory, then rename)."""
    try:
        write_atomic(path, dumps(lock))
    except OSError as exc:
        raise BundleError(f"{path}: cannot write lock: {exc.strerror}") from None


def _field(entry: dict[str, Any], key: str, where: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value:
        raise BundleError(f"{where}: '{key}' must be a non-empty string")
    return value


def loads(text: str, source: str = "plugins.lock") -> Lock:
    """Parse and validate lock text."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BundleError(f"{source}:{exc.lineno}:{exc.colno}: not JSON: {exc.msg}") from None
    if not isinstance(data, dict):
        raise BundleError(f"{source}: expected a JSON object")
    if data.get("lockVersion") != LOCK_VERSION:
        raise BundleError(
            f"{source}: unsupported lockVersion {data.get('lockVersion')!r} "
            f"(expected {LOCK_VERSION})"
        )
    jenkins = _field(data, "jenkins", source)
    center = data.get("updateCenter")
    if not isinstance(center, dict):
        raise BundleError(f"{source}: 'updateCenter' must be an object")
    versions = data.get("pluginVersions")
    if versions is not None and not isinstance(versions, dict):
        raise BundleError(f"{source}: 'pluginVersions' must be an object or null")
    entries = data.get("plugins")
    if not isinstance(entries, list):
        raise BundleError(f"{source}: 'plugins' must be a list")
    plugins: list[LockedPlugin] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        where = f"{source}: plugins[{index}]"
        if not isinstance(entry, dict):
            raise BundleError(f"{where}: expected an object")
        name = _field(entry, "name", where)
        if not _NAME.match(name):
            raise BundleError(f"{where}: invalid plugin name {name!r}")
        if name in seen:
            raise BundleError(f"{where}: {name} is listed twice")
        seen.add(name)
        digest = _field(entry, "sha256", where)
        if not _HEX.match(digest):
            raise BundleError(f"{where}: {name}: sha256 must be 64 lowercase hex digits")
        plugins.append(
            LockedPlugin(
                name=name,
                version=_field(entry, "version", where),
                url=_field(entry, "url", where),
                sha256=digest,
                required_core=str(entry.get("requiredCore") or "1.0"),
                direct=bool(entry.get("direct", False)),
            )
        )
    return Lock(
        jenkins=jenkins,
        update_center={str(k): str(v) for k, v in center.items()},
        plugins=tuple(sorted(plugins)),
        plugin_versions={str(k): str(v) for k, v in versions.items()} if versions else None,
    )


def read_lock(path: str | Path) -> Lock:
    """Read and validate a lock file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise BundleError(f"{path}: cannot read lock: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise BundleError(f"{path}: not UTF-8 text") from None
    return loads(text, str(path))
