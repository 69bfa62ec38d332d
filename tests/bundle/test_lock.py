"""plugins.lock: deterministic bytes, round trip, validation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jenkinsgen.bundle import pluginlist, updatecenter
from jenkinsgen.bundle.lock import dumps, loads, read_lock, write_lock
from jenkinsgen.bundle.resolve import resolve
from jenkinsgen.errors import BundleError

PLUGINS = "workflow-aggregator\ngit\njunit:1.29\ncredentials-binding\n"


def _resolve_to(path: Path, uc: Path, versions: Path, text: str) -> bytes:
    center = updatecenter.load(str(uc), str(versions))  # a fresh load every time
    write_lock(resolve(pluginlist.parse_txt(text), center, "2.249.3").lock, path)
    return path.read_bytes()


def test_byte_identical_twice_and_independent_of_list_order(
    tmp_path: Path, uc_path: Path, versions_path: Path
) -> None:
    first = _resolve_to(tmp_path / "a.lock", uc_path, versions_path, PLUGINS)
    second = _resolve_to(tmp_path / "b.lock", uc_path, versions_path, PLUGINS)
    reordered = "\n".join(reversed(PLUGINS.split("\n"))) + "\n"
    third = _resolve_to(tmp_path / "c.lock", uc_path, versions_path, reordered)
    assert first == second == third
    document = json.loads(first)
    names = [p["name"] for p in document["plugins"]]
    assert names == sorted(names)
    assert document["jenkins"] == "2.249.3"
    assert document["updateCenter"]["source"] == str(uc_path)
    assert {"name", "version", "url", "sha256"} <= set(document["plugins"][0])
    assert first.endswith(b"}\n")


def test_round_trip(tmp_path: Path, real_center: updatecenter.UpdateCenter) -> None:
    lock = resolve(pluginlist.parse_txt("git\n"), real_center, "2.249.3").lock
    write_lock(lock, tmp_path / "plugins.lock")
    assert read_lock(tmp_path / "plugins.lock") == lock
    assert dumps(loads(dumps(lock))) == dumps(lock)


def test_write_into_missing_directory_creates_nothing(
    tmp_path: Path, real_center: updatecenter.UpdateCenter
) -> None:
    lock = resolve(pluginlist.parse_txt("junit\n"), real_center, "2.249.3").lock
    with pytest.raises(BundleError, match=r"cannot write lock"):
        write_lock(lock, tmp_path / "no" / "plugins.lock")
    assert list(tmp_path.iterdir()) == []


def test_overwrite_leaves_no_temp_files(
    tmp_path: Path, real_center: updatecenter.UpdateCenter
) -> None:
    lock = resolve(pluginlist.parse_txt("junit\n"), real_center, "2.249.3").lock
    (tmp_path / "plugins.lock").write_text("old")
    write_lock(lock, tmp_path / "plugins.lock")
    assert [p.name for p in tmp_path.iterdir()] == ["plugins.lock"]
    assert read_lock(tmp_path / "plugins.lock") == lock


GOOD = {
    "lockVersion": 1,
    "jenkins": "2.249.3",
    "updateCenter": {"source": "x"},
    "pluginVersions": None,
    "plugins": [{"name": "a", "version": "1", "url": "https://h/a.hpi", "sha256": "0" * 64}],
}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"lockVersion": 2}, r"unsupported lockVersion 2"),
        ({"jenkins": ""}, r"'jenkins' must be a non-empty string"),
        ({"plugins": {}}, r"'plugins' must be a list"),
        (
            {"plugins": [{"name": "a", "version": "1", "url": "u", "sha256": "xyz"}]},
            r"plugins\[0\]: a: sha256 must be 64 lowercase hex digits",
        ),
        (
            {"plugins": [{"name": "a", "version": "1", "url": "u"}]},
            r"plugins\[0\]: 'sha256' must be a non-empty string",
        ),
        (
            {"plugins": [GOOD["plugins"][0], GOOD["plugins"][0]]},  # type: ignore[index]
            r"plugins\[1\]: a is listed twice",
        ),
        (
            {"plugins": [{"name": "../x", "version": "1", "url": "u", "sha256": "0" * 64}]},
            r"invalid plugin name '../x'",
        ),
    ],
)
def test_invalid_locks(change: dict[str, object], message: str) -> None:
    with pytest.raises(BundleError, match=message):
        loads(json.dumps({**GOOD, **change}), "p.lock")


def test_not_json() -> None:
    with pytest.raises(BundleError, match=r"^p.lock:1:1: not JSON"):
        loads("nope", "p.lock")
