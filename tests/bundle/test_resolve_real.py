"""Resolution against the real update center (2.249.3, 1762 plugins) and plugin-versions.json,
checked by an independent computation and by facts read off the documents."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from jenkinsgen.bundle import pluginlist
from jenkinsgen.bundle.pluginlist import PluginRequest
from jenkinsgen.bundle.resolve import resolve
from jenkinsgen.bundle.updatecenter import UpdateCenter
from jenkinsgen.bundle.version import Version
from jenkinsgen.errors import BundleError

ROOT = Path(__file__).resolve().parents[2]
CONTROLLER_PLUGINS = ROOT / "images" / "controller" / "plugins.txt"


def _independent_closure(plugins: dict[str, Any], roots: list[str]) -> set[str]:
    """Names reachable through mandatory dependencies, straight from the raw JSON."""
    seen: set[str] = set()
    stack = list(roots)
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        stack += [d["name"] for d in plugins[name]["dependencies"] if not d["optional"]]
    return seen


@pytest.fixture(scope="module")
def raw_plugins(uc_path: Path) -> dict[str, Any]:
    plugins: dict[str, Any] = json.loads(uc_path.read_text(encoding="utf-8"))["plugins"]
    return plugins


@pytest.mark.parametrize(
    "roots",
    [
        ["junit"],
        ["git"],
        ["workflow-aggregator"],
        ["kubernetes", "docker-plugin", "configuration-as-code"],
    ],
)
def test_closure_matches_an_independent_walk(
    real_center: UpdateCenter, raw_plugins: dict[str, Any], roots: list[str]
) -> None:
    result = resolve([PluginRequest(n) for n in roots], real_center, "2.249.3")
    expected = _independent_closure(raw_plugins, roots)
    assert {p.name for p in result.lock.plugins} == expected
    # only the newest releases are known, so each plugin is the update center's release
    for plugin in result.lock.plugins:
        entry = raw_plugins[plugin.name]
        assert (plugin.version, plugin.url) == (entry["version"], entry["url"])
    assert {p.name for p in result.lock.plugins if p.direct} == set(roots)


def test_junit_closure_facts(real_center: UpdateCenter) -> None:
    """junit 1.43 depends on exactly these ten plugins (update-center.actual.json)."""
    names = {p.name for p in resolve([PluginRequest("junit")], real_center, "2.249.3").lock.plugins}
    assert {
        "bootstrap4-api",
        "checks-api",
        "echarts-api",
        "plugin-util-api",
        "workflow-api",
        "workflow-step-api",
        "display-url-api",
        "jackson2-api",
        "script-security",
        "structs",
    } < names
    # git's optional dependencies (configuration-as-code, matrix-project, ...) stay out
    git = {p.name for p in resolve([PluginRequest("git")], real_center, "2.249.3").lock.plugins}
    assert (
        not {"configuration-as-code", "parameterized-trigger", "promoted-builds", "token-macro"}
        & git
    )


def test_whole_catalogue_resolves(real_center: UpdateCenter) -> None:
    requests = [PluginRequest(name) for name in sorted(real_center.latest)]
    lock = resolve(requests, real_center, "2.249.3").lock
    assert len(lock.plugins) == 1762
    assert all(p.direct for p in lock.plugins)


def test_minimal_versions_are_minimal_and_sufficient(full_center: UpdateCenter) -> None:
    """With every release known, each dependency is the lowest release meeting the highest
    requirement on it, every requirement is met, and nothing unreachable is included."""
    # The controller's plugins by name: the update center here (2020) predates their pins.
    requests = [PluginRequest(r.name, where=r.where) for r in pluginlist.load(CONTROLLER_PLUGINS)]
    lock = resolve(requests, full_center, "2.249.3").lock
    chosen = {p.name: full_center.release(p.name, p.version) for p in lock.plugins}
    assert all(chosen.values())
    needs: dict[str, list[str]] = {}
    edges: dict[str, list[str]] = {}
    for name, release in chosen.items():
        assert release is not None
        assert Version(release.required_core) <= Version("2.249.3")
        for dep in release.dependencies:
            if dep.optional and dep.name not in chosen:
                continue
            needs.setdefault(dep.name, []).append(dep.version)
            if not dep.optional:
                edges.setdefault(name, []).append(dep.name)
    for name, versions in needs.items():
        release = chosen[name]
        assert release is not None
        highest = max(versions, key=Version)
        assert release.key >= Version(highest), name
        if name not in {r.name for r in requests}:
            lowest = next(r for r in full_center.releases(name) if r.key >= Version(highest))
            assert release.version == lowest.version, name
    reachable: set[str] = set()
    stack = [r.name for r in requests]
    while stack:
        name = stack.pop()
        if name not in reachable:
            reachable.add(name)
            stack += edges.get(name, [])
    assert reachable == set(chosen)


def test_real_conflict_names_both(full_center: UpdateCenter) -> None:
    with pytest.raises(BundleError) as caught:
        resolve(pluginlist.parse_txt("git\ncredentials:2.1.0\n", "p.txt"), full_center, "2.249.3")
    assert (
        "conflict: credentials is pinned to 2.1.0 at p.txt:2, but git 4.4.5 requires "
        "credentials >= 2.3.11"
    ) in str(caught.value).splitlines()


def test_real_required_core(real_center: UpdateCenter) -> None:
    with pytest.raises(BundleError) as caught:
        resolve([PluginRequest("junit")], real_center, "2.200")
    assert "junit 1.43 requires Jenkins >= 2.222.4, not 2.200" in str(caught.value).splitlines()


def test_real_security_warnings(full_center: UpdateCenter) -> None:
    result = resolve(pluginlist.parse_txt("script-security:1.56\n"), full_center, "2.249.3")
    ids = {line.split(" is affected by ")[1].split(":")[0] for line in result.warnings}
    assert {"SECURITY-1465-1", "SECURITY-2020"} <= ids
    assert "SECURITY-258" not in ids  # fixed in 1.19
    latest = resolve(pluginlist.parse_txt("script-security\n"), full_center, "2.249.3")
    assert latest.warnings == ()


def test_shared_edge_case_list_against_the_real_catalogue(
    test_data: Path, full_center: UpdateCenter
) -> None:
    """The update-center entries of the edge-case file resolve (URL/incremental/experimental
    entries dropped: they need the network or a second update center)."""
    text = (test_data / "plugins-txt" / "parser-edge-cases.txt").read_text(encoding="utf-8")
    requests = [
        r
        for r in pluginlist.parse_txt(text.replace("httttp", "http"), "p.txt")
        if not r.url and r.version != "experimental"
    ]
    # "docker" is not a plugin id (the plugin is docker-plugin): a located error
    with pytest.raises(BundleError) as caught:
        resolve(requests, full_center, "2.249.3")
    assert str(caught.value) == "p.txt:6: unknown plugin docker: not in the update center"
    requests = [r for r in requests if r.name != "docker"]
    lock = resolve(requests, full_center, "2.249.3").lock
    versions = {p.name: p.version for p in lock.plugins}
    assert versions["job-import-plugin"] == "2.1"
    assert versions["cloudbees-bitbucket-branch-source"] == "2.4.4"
    assert versions["build-timeout"] == "1.20"
    assert versions["git"] == full_center.latest["git"].version
