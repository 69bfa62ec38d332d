"""Turn a plugin list into the full, pinned dependency closure (a Lock).

Rules (docs/bundle.md explains why):

- ``name`` / ``name:latest`` take the update center's newest release; ``name:VERSION`` that exact
  release (from update-center.json or plugin-versions.json); ``name:experimental`` the newest
  release of the experimental update center; a URL (or incrementals) source takes the archive
  itself, whose version and dependencies come from its manifest.
- Every mandatory dependency is pulled in. An optional dependency is pulled in only when the
  plugin is in the closure anyway, and then its version requirement applies as well.
- Highest requirement wins: a dependency gets the lowest known release that satisfies every
  requirement on it (``latest_dependencies=True`` takes the newest release instead). Raising a
  version can change that plugin's own dependencies, so resolution repeats until nothing moves.
- A plugin the list names explicitly is never moved: if something needs a newer one, that is a
  conflict naming both sides.
- Every release's ``requiredCore`` must be at most the target Jenkins version.
- Published security warnings matching a chosen version (or the Jenkins version) are reported,
  as errors with ``strict=True``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from jenkinsgen.bundle import manifest
from jenkinsgen.bundle.download import fetch_bytes
from jenkinsgen.bundle.lock import Lock, LockedPlugin
from jenkinsgen.bundle.pluginlist import EXPERIMENTAL, LATEST, PluginRequest
from jenkinsgen.bundle.updatecenter import Release, SecurityWarning, UpdateCenter
from jenkinsgen.bundle.version import Version
from jenkinsgen.errors import BundleError

#: Turns a URL into the archive's bytes (the download module provides the real one).
Fetcher = Callable[[str], bytes]


@dataclass(frozen=True)
class Resolution:
    """The lock plus the advisories that matched it (one readable line each)."""

    lock: Lock
    warnings: tuple[str, ...]


def external_release(request: PluginRequest, fetch: Fetcher) -> Release:
    """Describe a plugin given by URL from its archive: checksum and manifest."""
    assert request.url is not None
    data = fetch(request.url)
    label = f"{request.where}: {request.name} from {request.url}"
    attributes = manifest.read_archive(data, label)
    version = attributes.get("Plugin-Version", "")
    expected = version if request.version == LATEST else request.version
    manifest.check(attributes, request.name, expected, label)
    return Release(
        name=request.name,
        version=version,
        url=request.url,
        sha256=base64.b64encode(hashlib.sha256(data).digest()).decode("ascii"),
        required_core=attributes.get("Jenkins-Version") or "1.0",
        dependencies=manifest.dependencies(attributes),
        source="url",
    )


def _hex_digest(release: Release) -> str:
    """The update center's Base64 sha256 as hex."""
    try:
        raw = base64.b64decode(release.sha256 or "", validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raise BundleError(
            f"{release.name} {release.version}: the update center publishes no "
            f"valid sha256 ({release.sha256!r})"
        )
    return raw.hex()


class _Resolver:
    """Picks dependency releases; ``floors`` are minimum versions learnt in earlier passes."""

    def __init__(self, center: UpdateCenter, latest_dependencies: bool) -> None:
        self.center = center
        self.latest_dependencies = latest_dependencies
        self.floors: dict[str, str] = {}

    def choose(self, name: str, floor: str, needed_by: str) -> Release:
        """The release of a dependency ``name`` that satisfies ``floor``."""
        releases = self.center.releases(name)
        if not releases:
            raise BundleError(
                f"unknown plugin {name} (required by {needed_by}): not in the update center"
            )
        newest = releases[-1]
        if self.latest_dependencies:
            chosen = newest if newest.key >= Version(floor) else None
        else:
            chosen = self.center.lowest_at_least(name, floor)
        if chosen is None:
            raise BundleError(
                f"{needed_by} requires {name} >= {floor}, but the newest known "
                f"release is {newest.version}"
            )
        return chosen


def _roots(
    requests: Iterable[PluginRequest],
    center: UpdateCenter,
    experimental: UpdateCenter | None,
    fetch: Fetcher | None,
) -> dict[str, Release]:
    """The release each request names; all unknown plugins/versions reported at once."""
    roots: dict[str, Release] = {}
    problems: list[str] = []
    for request in requests:
        release: Release | None
        if request.url:
            if fetch is None:
                problems.append(
                    f"{request.where}: {request.name}: plugins given by URL cannot be resolved "
                    f"offline"
                )
                continue
            try:
                release = external_release(request, fetch)
            except BundleError as exc:
                problems.append(str(exc))
                continue
        elif request.version == EXPERIMENTAL:
            if experimental is None:
                problems.append(
                    f"{request.where}: {request.name}:experimental needs an "
                    f"experimental update center (--experimental-update-center)"
                )
                continue
            release = experimental.latest.get(request.name) or center.latest.get(request.name)
        elif request.version == LATEST:
            release = center.latest.get(request.name)
        else:
            release = center.release(request.name, request.version)
            if release is None and center.releases(request.name):
                known = (
                    ""
                    if center.versions_source
                    else " (pass plugin-versions.json to pin an older release)"
                )
                problems.append(
                    f"{request.where}: {request.name} {request.version} is not a "
                    f"known release{known}"
                )
                continue
        if release is None:
            problems.append(
                f"{request.where}: unknown plugin {request.name}: not in the update center"
            )
            continue
        roots[request.name] = release
    if problems:
        raise BundleError("\n".join(problems))
    return roots


def _describe_root(request: PluginRequest, release: Release) -> str:
    how = "pinned to" if request.pinned or request.url else "resolved to"
    return f"{request.name} is {how} {release.version} at {request.where}"


# A Jenkins core version: weekly 2.555, LTS 2.555.2, optionally a qualifier (2.555-rc1).
_CORE_VERSION = re.compile(r"[0-9]+(?:\.[0-9]+)*(?:-[A-Za-z0-9.]+)?")


def resolve(
    requests: list[PluginRequest],
    center: UpdateCenter,
    jenkins_version: str,
    *,
    experimental: UpdateCenter | None = None,
    latest_dependencies: bool = False,
    strict: bool = False,
    fetch: Fetcher | None = fetch_bytes,
) -> Resolution:
    """Resolve ``requests`` against ``center`` for Jenkins ``jenkins_version``.

    Plugins given by URL are fetched with ``fetch`` (None forbids them, for offline use).
    Raises BundleError listing every unknown plugin, conflict, too-new core requirement, and
    (with ``strict``) every security warning.
    """
    if not _CORE_VERSION.fullmatch(jenkins_version):
        raise BundleError(
            f"Jenkins version {jenkins_version!r} is not a version such as 2.555.2 "
            "(numbers separated by dots)"
        )
    by_name = {r.name: r for r in requests}
    roots = _roots(requests, center, experimental, fetch)
    resolver = _Resolver(center, latest_dependencies)
    while True:
        selected = dict(roots)
        parent: dict[str, str] = {}
        required: dict[str, list[tuple[str, str]]] = {}
        queue = [roots[name] for name in sorted(roots)]  # list order must not matter
        while queue:
            release = queue.pop(0)
            for dep in release.dependencies:
                if dep.optional:
                    continue
                required.setdefault(dep.name, []).append((dep.version, release.name))
                if dep.name not in selected:
                    floor = resolver.floors.get(dep.name, dep.version)
                    if Version(dep.version) > Version(floor):
                        floor = dep.version
                    who = f"{release.name} {release.version}"
                    selected[dep.name] = resolver.choose(dep.name, floor, who)
                    parent[dep.name] = release.name
                    queue.append(selected[dep.name])
        for release in list(selected.values()):
            for dep in release.dependencies:
                if dep.optional and dep.name in selected:
                    required.setdefault(dep.name, []).append((dep.version, release.name))
        conflicts: list[str] = []
        moved = False
        for name, needs in sorted(required.items()):
            chosen = selected[name]
            for version, who in needs:
                if Version(version) <= chosen.key:
                    continue
                if name in roots:
                    conflicts.append(
                        f"conflict: {_describe_root(by_name[name], chosen)}, but "
                        f"{who} {selected[who].version} requires {name} >= {version}"
                    )
                elif Version(version) > Version(resolver.floors.get(name, "0")):
                    resolver.floors[name] = version
                    moved = True
        if conflicts:
            raise BundleError("\n".join(sorted(set(conflicts))))
        if not moved:
            break
    _check_core(selected, parent, jenkins_version)
    advisories = _advisories(selected, center, jenkins_version)
    if strict and advisories:
        raise BundleError("\n".join(f"security: {line}" for line in advisories))
    plugins = tuple(
        sorted(
            LockedPlugin(
                r.name, r.version, r.url, _hex_digest(r), r.required_core, direct=r.name in roots
            )
            for r in selected.values()
        )
    )
    lock = Lock(
        jenkins=jenkins_version,
        update_center={"source": center.source, "id": center.id, "sha256": center.digest},
        plugins=plugins,
        plugin_versions=(
            {"source": center.versions_source, "sha256": center.versions_digest or ""}
            if center.versions_source
            else None
        ),
    )
    return Resolution(lock, tuple(advisories))


def _chain(name: str, parent: dict[str, str]) -> str:
    path = [name]
    while path[-1] in parent and len(path) < 50:
        path.append(parent[path[-1]])
    return " <- ".join(path)


def _check_core(selected: dict[str, Release], parent: dict[str, str], jenkins: str) -> None:
    """Raise BundleError listing every release whose requiredCore is newer than ``jenkins``."""
    target = Version(jenkins)
    too_new = [
        f"{r.name} {r.version} requires Jenkins >= {r.required_core}, not {jenkins}"
        + (f" (needed by {_chain(r.name, parent)})" if r.name in parent else "")
        for r in sorted(selected.values(), key=lambda r: r.name)
        if Version(r.required_core) > target
    ]
    if too_new:
        raise BundleError("\n".join(too_new))


def _line(warning: SecurityWarning, subject: str) -> str:
    return f"{subject} is affected by {warning.id}: {warning.message} ({warning.url})"


def _advisories(selected: dict[str, Release], center: UpdateCenter, jenkins: str) -> list[str]:
    """One line per published advisory matching the core or a chosen release."""
    lines = [_line(w, f"Jenkins {jenkins}") for w in center.warnings_for("core", jenkins, "core")]
    for release in sorted(selected.values(), key=lambda r: r.name):
        lines += [
            _line(w, f"{release.name} {release.version}")
            for w in center.warnings_for(release.name, release.version)
        ]
    return lines
