"""Resolution rules on small hand-made catalogues where the right answer is obvious."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import pytest

from jenkinsgen.bundle import pluginlist, updatecenter
from jenkinsgen.bundle.resolve import resolve
from jenkinsgen.bundle.updatecenter import UpdateCenter
from jenkinsgen.errors import BundleError


def _entry(name: str, version: str, deps: str = "", core: str = "2.200") -> dict[str, Any]:
    """A release; ``deps`` is ``"a:1.0 b:2.0? "`` (a trailing ``?`` marks optional)."""
    digest = base64.b64encode(hashlib.sha256(f"{name}-{version}".encode()).digest()).decode()
    return {
        "name": name,
        "version": version,
        "requiredCore": core,
        "sha256": digest,
        "url": f"https://updates.jenkins.io/download/plugins/{name}/{version}/{name}.hpi",
        "dependencies": [
            {
                "name": d.split(":")[0],
                "version": d.split(":")[1].rstrip("?"),
                "optional": d.endswith("?"),
            }
            for d in deps.split()
        ],
    }


def _center(
    latest: list[dict[str, Any]],
    older: list[dict[str, Any]] | None = None,
    warnings: list[dict[str, Any]] | None = None,
) -> UpdateCenter:
    document = {
        "id": "t",
        "core": {"version": "2.249.3"},
        "plugins": {e["name"]: e for e in latest},
        "warnings": warnings or [],
    }
    center = updatecenter.parse_update_center(json.dumps(document).encode(), "uc.json")
    if older is not None:
        versions: dict[str, dict[str, Any]] = {}
        for e in older + latest:
            versions.setdefault(e["name"], {})[e["version"]] = e
        updatecenter.add_plugin_versions(
            center, json.dumps({"plugins": versions}).encode(), "pv.json"
        )
    return center


def _versions(text: str, center: UpdateCenter, **options: Any) -> dict[str, str]:
    result = resolve(pluginlist.parse_txt(text, "p.txt"), center, "2.249.3", **options)
    return {p.name: p.version for p in result.lock.plugins}


# lib has releases 1.0 < 1.5 < 2.0 < 3.0; a needs lib >= 1.5, b needs lib >= 2.0
LIB = [_entry("lib", v) for v in ("1.0", "1.5", "2.0")]
CATALOGUE = [_entry("a", "1.0", "lib:1.5"), _entry("b", "1.0", "lib:2.0"), _entry("lib", "3.0")]


def test_highest_required_version_wins() -> None:
    center = _center(CATALOGUE, LIB)
    assert _versions("a\nb\n", center) == {"a": "1.0", "b": "1.0", "lib": "2.0"}
    assert _versions("a\n", center) == {"a": "1.0", "lib": "1.5"}


def test_latest_dependencies_option() -> None:
    center = _center(CATALOGUE, LIB)
    assert _versions("a\n", center, latest_dependencies=True)["lib"] == "3.0"


def test_without_plugin_versions_the_newest_release_is_used() -> None:
    assert _versions("a\n", _center(CATALOGUE))["lib"] == "3.0"


def test_raising_a_version_pulls_in_its_new_dependencies() -> None:
    # lib 1.5 has no dependencies, lib 2.0 needs extra; b (needing lib 2.0) is reached late
    older = [_entry("lib", "1.5"), _entry("lib", "2.0", "extra:1.0")]
    latest = [
        _entry("a", "1.0", "lib:1.5 c:1.0"),
        _entry("c", "1.0", "b:1.0"),
        _entry("b", "1.0", "lib:2.0"),
        _entry("lib", "3.0"),
        _entry("extra", "1.0"),
    ]
    assert _versions("a\n", _center(latest, older)) == {
        "a": "1.0",
        "b": "1.0",
        "c": "1.0",
        "lib": "2.0",
        "extra": "1.0",
    }


def test_optional_dependency_only_when_present() -> None:
    center = _center(
        [_entry("a", "1.0", "opt:2.0?"), _entry("opt", "3.0"), _entry("x", "1.0")],
        [_entry("opt", "1.0"), _entry("opt", "2.0")],
    )
    assert _versions("a\n", center) == {"a": "1.0"}
    # present because listed: the optional requirement (>= 2.0) still applies
    assert _versions("a\nopt:2.0\n", center)["opt"] == "2.0"
    with pytest.raises(
        BundleError,
        match=r"conflict: opt is pinned to 1.0 at p.txt:2, but a "
        r"1.0 requires opt >= 2.0",
    ):
        _versions("a\nopt:1.0\n", center)


def test_optional_dependency_raised_when_pulled_in_elsewhere() -> None:
    center = _center(
        [_entry("a", "1.0", "opt:2.0?"), _entry("b", "1.0", "opt:1.0"), _entry("opt", "3.0")],
        [_entry("opt", "1.0"), _entry("opt", "2.0")],
    )
    assert _versions("b\n", center)["opt"] == "1.0"
    assert _versions("a\nb\n", center)["opt"] == "2.0"


def test_pinned_version_conflict_names_both_sides() -> None:
    center = _center(CATALOGUE, LIB)
    with pytest.raises(BundleError) as caught:
        _versions("b\nlib:1.5\n", center)
    assert str(caught.value) == (
        "conflict: lib is pinned to 1.5 at p.txt:2, but b 1.0 requires lib >= 2.0"
    )


def test_pinned_version_satisfying_everyone_is_kept() -> None:
    center = _center(CATALOGUE, LIB)
    assert _versions("a\nb\nlib:2.0\n", center)["lib"] == "2.0"
    assert _versions("a\nlib:1.5\n", center)["lib"] == "1.5"


def test_pinned_unknown_version() -> None:
    with pytest.raises(BundleError, match=r"p.txt:1: lib 9.9 is not a known release$"):
        _versions("lib:9.9\n", _center(CATALOGUE, LIB))
    with pytest.raises(BundleError, match=r"pass plugin-versions.json to pin an older release"):
        _versions("lib:1.0\n", _center(CATALOGUE))


def test_unknown_plugins_all_reported() -> None:
    with pytest.raises(BundleError) as caught:
        _versions("nope\na\nnada:1.0\n", _center(CATALOGUE))
    assert str(caught.value).splitlines() == [
        "p.txt:1: unknown plugin nope: not in the update center",
        "p.txt:3: unknown plugin nada: not in the update center",
    ]


def test_unknown_dependency() -> None:
    center = _center([_entry("a", "1.0", "ghost:1.0")])
    with pytest.raises(BundleError, match=r"unknown plugin ghost \(required by a 1.0\)"):
        _versions("a\n", center)


def test_requirement_newer_than_any_release() -> None:
    center = _center([_entry("a", "1.0", "lib:5.0"), _entry("lib", "3.0")])
    with pytest.raises(
        BundleError,
        match=r"a 1.0 requires lib >= 5.0, but the newest known "
        r"release is 3.0",
    ):
        _versions("a\n", center)


def test_required_core_too_new_names_the_chain() -> None:
    center = _center(
        [_entry("a", "1.0", "b:1.0"), _entry("b", "1.0", "c:1.0"), _entry("c", "1.0", core="2.300")]
    )
    with pytest.raises(BundleError) as caught:
        _versions("a\n", center)
    assert str(caught.value) == (
        "c 1.0 requires Jenkins >= 2.300, not 2.249.3 (needed by c <- b <- a)"
    )


def test_experimental_needs_its_update_center() -> None:
    center = _center(CATALOGUE)
    with pytest.raises(BundleError, match=r"p.txt:1: a:experimental needs an experimental"):
        _versions("a:experimental\n", center)
    experimental = _center([_entry("a", "2.0-beta-1", "lib:2.0")])
    assert _versions("a:experimental\n", center, experimental=experimental) == {
        "a": "2.0-beta-1",
        "lib": "3.0",
    }


WARNINGS = [
    {
        "id": "SECURITY-1",
        "name": "lib",
        "type": "plugin",
        "message": "XSS",
        "url": "https://example.invalid/adv",
        "versions": [{"pattern": "1[.].*"}],
    },
    {
        "id": "core-1",
        "name": "core",
        "type": "core",
        "message": "old core",
        "url": "https://example.invalid/core",
        "versions": [{"pattern": "2[.]1\\d\\d"}],
    },
]


def test_security_warnings() -> None:
    center = _center(CATALOGUE, LIB, WARNINGS)
    result = resolve(pluginlist.parse_txt("a\n"), center, "2.249.3")
    assert result.warnings == (
        "lib 1.5 is affected by SECURITY-1: XSS (https://example.invalid/adv)",
    )
    assert not resolve(pluginlist.parse_txt("b\n"), center, "2.249.3").warnings
    with pytest.raises(BundleError, match=r"^security: lib 1.5 is affected by SECURITY-1"):
        resolve(pluginlist.parse_txt("a\n"), center, "2.249.3", strict=True)


def test_core_warning_for_the_target_jenkins() -> None:
    center = _center([_entry("x", "1.0", core="1.0")], warnings=WARNINGS)
    result = resolve(pluginlist.parse_txt("x\n"), center, "2.150")
    assert result.warnings == (
        "Jenkins 2.150 is affected by core-1: old core (https://example.invalid/core)",
    )


def test_lock_contents() -> None:
    center = _center(CATALOGUE, LIB)
    lock = resolve(pluginlist.parse_txt("b\na\n"), center, "2.249.3").lock
    assert [p.name for p in lock.plugins] == ["a", "b", "lib"]
    lib = lock.plugins[2]
    assert lib.sha256 == hashlib.sha256(b"lib-2.0").hexdigest()  # Base64 converted to hex
    assert (lib.direct, lock.plugins[0].direct) == (False, True)
    assert lock.update_center["source"] == "uc.json"
    assert lock.plugin_versions == {"source": "pv.json", "sha256": center.versions_digest}


def test_bad_published_checksum() -> None:
    bad = _entry("a", "1.0")
    bad["sha256"] = "not base64!"
    with pytest.raises(BundleError, match=r"a 1.0: the update center publishes no valid sha256"):
        _versions("a\n", _center([bad]))
