"""The plugin catalogue: update-center.json and plugin-versions.json, from a file or a URL.

``update-center.json`` holds the newest release of every plugin, the core version and the
security ``warnings``; it is also served as JSONP (``updateCenter.post({...});``), and both
forms are accepted. ``plugin-versions.json`` holds every published release
(``plugins.NAME.VERSION``); it lets a plugin list pin an older version and lets resolution pick
the lowest release that satisfies every requirement. A ``.zip`` holding one ``.json`` is read
too, as the update center's test data ships it that way.
"""

from __future__ import annotations

import bisect
import hashlib
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from urllib.request import url2pathname

import requests

from jenkinsgen.bundle.version import Version
from jenkinsgen.errors import BundleError

_JSONP = re.compile(rb"^\s*updateCenter\.post\(\s*(.*?)\s*\)\s*;?\s*$", re.DOTALL)


@dataclass(frozen=True)
class Dependency:
    """One entry of a release's ``dependencies``: at least ``version`` of plugin ``name``."""

    name: str
    version: str
    optional: bool = False


@dataclass(frozen=True)
class Release:
    """One published plugin archive and what it needs."""

    name: str
    version: str
    url: str
    sha256: str | None  # Base64, as the update center publishes it
    required_core: str
    dependencies: tuple[Dependency, ...] = ()
    source: str = "update-center"

    @cached_property
    def key(self) -> Version:
        """The version, ordered as Jenkins orders versions."""
        return Version(self.version)


@dataclass(frozen=True)
class SecurityWarning:
    """A published advisory: versions matching any ``patterns`` (full match) are affected."""

    id: str
    name: str
    kind: str  # "plugin" or "core"
    message: str
    url: str
    patterns: tuple[str, ...]

    def affects(self, version: str) -> bool:
        """True when ``version`` matches one of the advisory's patterns in full."""
        return any(re.fullmatch(pattern, version) for pattern in self.patterns)


@dataclass
class UpdateCenter:
    """Every release we know of, by plugin name, plus core version and warnings."""

    source: str
    digest: str  # sha256 hex of the update-center document as read
    id: str
    core_version: str
    latest: dict[str, Release]
    warnings: list[SecurityWarning]
    versions_source: str | None = None
    versions_digest: str | None = None
    # plugin-versions.json entries, turned into Release objects only when a plugin is asked for
    _raw_versions: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)
    _versions: dict[str, dict[str, Release]] = field(default_factory=dict, repr=False)
    _sorted: dict[str, list[Release]] = field(default_factory=dict, repr=False)
    _warnings_index: dict[tuple[str, str], list[SecurityWarning]] | None = field(
        default=None, repr=False
    )

    @property
    def release_count(self) -> int:
        """How many releases plugin-versions.json lists (0 without it)."""
        return sum(len(by_version) for by_version in self._raw_versions.values())

    def _older(self, name: str) -> dict[str, Release]:
        built = self._versions.get(name)
        if built is None:
            source = self.versions_source or "plugin-versions.json"
            built = {
                version: _release(entry, name, source, "plugin-versions")
                for version, entry in (self._raw_versions.get(name) or {}).items()
            }
            self._versions[name] = built
        return built

    def release(self, name: str, version: str) -> Release | None:
        """The release ``name`` ``version`` (spelled exactly) from either document."""
        newest = self.latest.get(name)
        if newest is not None and newest.version == version:
            return newest
        return self._older(name).get(version)

    def releases(self, name: str) -> list[Release]:
        """All known releases of ``name``, oldest first."""
        return list(self._ordered(name))

    def _ordered(self, name: str) -> list[Release]:
        cached = self._sorted.get(name)
        if cached is None:
            found = dict(self._older(name))
            newest = self.latest.get(name)
            if newest is not None:
                found[newest.version] = newest
            cached = sorted(found.values(), key=lambda r: r.key)
            self._sorted[name] = cached
        return cached

    def lowest_at_least(self, name: str, version: str) -> Release | None:
        """The oldest release of ``name`` that is at least ``version`` (None if none is)."""
        ordered = self._ordered(name)
        at = bisect.bisect_left(ordered, Version(version), key=lambda r: r.key)
        return ordered[at] if at < len(ordered) else None

    def warnings_for(self, name: str, version: str, kind: str = "plugin") -> list[SecurityWarning]:
        """The advisories of ``name`` (a plugin, or ``core``) that match ``version``."""
        if self._warnings_index is None:
            index: dict[tuple[str, str], list[SecurityWarning]] = {}
            for warning in self.warnings:
                index.setdefault((warning.kind, warning.name), []).append(warning)
            self._warnings_index = index
        return [w for w in self._warnings_index.get((kind, name), []) if w.affects(version)]


def redact(url: str) -> str:
    """``url`` fit for messages and files: no ``user:password@`` and no query string.

    Credentials for a private update center or mirror belong in ``~/.netrc`` (which requests
    reads); if they are in the URL anyway, they must not reach the lock, a log or an error.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not (
        parts.username or parts.password or parts.query
    ):
        return url
    host = parts.netloc.rpartition("@")[2]  # as given (parts.port raises when out of range)
    netloc = f"***@{host}" if parts.username or parts.password else host
    return urlunsplit((parts.scheme, netloc, parts.path, "***" if parts.query else "", ""))


def scrub(text: str, url: str) -> str:
    """``text`` (e.g. an exception message) with ``url``'s credentials and query removed."""
    parts = urlsplit(url)
    if parts.username or parts.password:
        userinfo = parts.netloc.rsplit("@", 1)[0]
        text = text.replace(f"{userinfo}@", "***@")
    if parts.query:
        text = text.replace(parts.query, "***")
    return text


def read_source(source: str, timeout: float = 60.0) -> bytes:
    """The bytes of a local path, a ``file:`` URL or an ``http(s):`` URL."""
    scheme = urlsplit(source).scheme
    label = redact(source)
    if scheme in ("http", "https"):
        try:
            response = requests.get(source, timeout=timeout)
        except requests.RequestException as exc:
            raise BundleError(f"{label}: cannot download: {scrub(str(exc), source)}") from None
        if response.status_code != 200:
            raise BundleError(f"{label}: cannot download: HTTP {response.status_code}")
        return response.content
    path = Path(url2pathname(urlsplit(source).path)) if scheme == "file" else Path(source)
    try:
        return path.read_bytes()
    except OSError as exc:
        raise BundleError(f"{label}: cannot read: {exc.strerror}") from None


def _json_document(data: bytes, source: str) -> dict[str, Any]:
    """Decode a JSON, JSONP or zipped JSON document into a dict."""
    if data[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = [n for n in archive.namelist() if n.endswith(".json")]
                if len(names) != 1:
                    raise BundleError(
                        f"{source}: expected one .json file in the zip, found {len(names)}"
                    )
                data = archive.read(names[0])
        except zipfile.BadZipFile as exc:
            raise BundleError(f"{source}: bad zip file: {exc}") from None
    match = _JSONP.match(data)
    if match:
        data = match.group(1)
    try:
        document = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        where = f":{exc.lineno}:{exc.colno}" if isinstance(exc, json.JSONDecodeError) else ""
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else "not UTF-8"
        raise BundleError(f"{source}{where}: not a JSON document: {reason}") from None
    if not isinstance(document, dict) or not isinstance(document.get("plugins"), dict):
        raise BundleError(f"{source}: not an update-center document (no 'plugins' object)")
    return document


def _release(entry: Any, name: str, source: str, origin: str) -> Release:
    if not isinstance(entry, dict):
        raise BundleError(f"{source}: plugins.{name}: expected an object")
    try:
        dependencies = tuple(
            Dependency(str(d["name"]), str(d["version"]), bool(d.get("optional", False)))
            for d in entry.get("dependencies") or []
        )
        return Release(
            name=name,
            version=str(entry["version"]),
            url=str(entry["url"]),
            sha256=entry.get("sha256"),
            required_core=str(entry.get("requiredCore") or "1.0"),
            dependencies=dependencies,
            source=origin,
        )
    except (KeyError, TypeError) as exc:
        raise BundleError(f"{source}: plugins.{name}: missing or bad field {exc}") from None


def parse_update_center(data: bytes, source: str) -> UpdateCenter:
    """Build the catalogue from an update-center.json (or JSONP) document."""
    document = _json_document(data, source)
    core = document.get("core") or {}
    latest = {
        name: _release(entry, name, source, "update-center")
        for name, entry in document["plugins"].items()
    }
    warnings = []
    for raw in document.get("warnings") or []:
        try:
            warnings.append(
                SecurityWarning(
                    id=str(raw["id"]),
                    name=str(raw["name"]),
                    kind=str(raw.get("type", "plugin")),
                    message=str(raw.get("message", "")),
                    url=str(raw.get("url", "")),
                    patterns=tuple(str(v["pattern"]) for v in raw.get("versions") or []),
                )
            )
        except (KeyError, TypeError) as exc:
            raise BundleError(f"{source}: warnings: missing or bad field {exc}") from None
    return UpdateCenter(
        source=source,
        digest=hashlib.sha256(data).hexdigest(),
        id=str(document.get("id", "default")),
        core_version=str(core.get("version", "")),
        latest=latest,
        warnings=warnings,
    )


def add_plugin_versions(center: UpdateCenter, data: bytes, source: str) -> None:
    """Add every release from a plugin-versions.json document to ``center``."""
    document = _json_document(data, source)
    for name, by_version in document["plugins"].items():
        if not isinstance(by_version, dict):
            raise BundleError(f"{source}: plugins.{name}: expected an object of versions")
        center._raw_versions.setdefault(name, {}).update(by_version)
        center._versions.pop(name, None)
        center._sorted.pop(name, None)
    center.versions_source = source
    center.versions_digest = hashlib.sha256(data).hexdigest()


def load(update_center: str, plugin_versions: str | None = None) -> UpdateCenter:
    """Read the update center (and optionally plugin-versions) from paths or URLs."""
    center = parse_update_center(read_source(update_center), redact(update_center))
    if plugin_versions:
        add_plugin_versions(center, read_source(plugin_versions), redact(plugin_versions))
    return center
