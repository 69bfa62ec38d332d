"""Loading the real update center in its JSON, JSONP and zipped forms, from files and URLs."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from jenkinsgen.bundle import updatecenter
from jenkinsgen.bundle.updatecenter import UpdateCenter
from jenkinsgen.errors import BundleError
from tests.bundle.archives import PluginServer


def test_real_update_center(real_center: UpdateCenter) -> None:
    assert real_center.core_version == "2.249.3"
    assert len(real_center.latest) == 1762
    junit = real_center.latest["junit"]
    assert (junit.version, junit.required_core) == ("1.43", "2.222.4")
    assert junit.sha256 == "zsRrx98ahXLOf++y8VWA2L5sSeUfe+qFAtyAeN7L1gc="
    assert len(junit.dependencies) == 10
    assert len(real_center.warnings) == 728


def test_plugin_versions_from_the_zip(full_center: UpdateCenter) -> None:
    versions = [r.version for r in full_center.releases("junit")]
    assert versions[-2:] == ["1.29", "1.43"]  # newest from the update center
    assert versions.index("1.9") < versions.index("1.10")  # sorted as versions, not text
    old = full_center.release("junit", "1.29")
    assert old is not None and old.source == "plugin-versions"
    assert old.required_core == "2.164.3"


def test_jsonp_form(uc_path: Path, tmp_path: Path) -> None:
    jsonp = tmp_path / "update-center.json"
    jsonp.write_bytes(b"updateCenter.post(\n" + uc_path.read_bytes() + b"\n);\n")
    center = updatecenter.load(str(jsonp))
    assert len(center.latest) == 1762


def test_from_a_url(server: PluginServer, uc_path: Path) -> None:
    server.files["/update-center.json"] = uc_path.read_bytes()
    center = updatecenter.load(server.url("/update-center.json"))
    assert center.latest["git"].version == "4.4.5"
    assert server.hits["/update-center.json"] == 1


def test_file_url(uc_path: Path) -> None:
    assert len(updatecenter.load(uc_path.as_uri()).latest) == 1762


def test_warnings_patterns(real_center: UpdateCenter) -> None:
    ids = {w.id for w in real_center.warnings_for("script-security", "1.18")}
    assert "SECURITY-258" in ids
    assert not real_center.warnings_for("script-security", "1.75")
    assert {w.id for w in real_center.warnings_for("core", "2.43", "core")} >= {"core-2_44"}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{nope", r"bad.json:1:2: not a JSON document"),
        (b"[]", r"not an update-center document"),
        (b'{"plugins": {"x": {"name": "x"}}}', r"plugins.x: missing or bad field 'version'"),
        (b"PK\x03\x04garbage", r"bad zip file"),
    ],
)
def test_bad_documents(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(BundleError, match=message):
        updatecenter.load(str(path))


def test_zip_with_two_documents(tmp_path: Path) -> None:
    path = tmp_path / "two.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a.json", json.dumps({"plugins": {}}))
        archive.writestr("b.json", json.dumps({"plugins": {}}))
    with pytest.raises(BundleError, match=r"expected one .json file in the zip, found 2"):
        updatecenter.load(str(path))


def test_unreachable_url(server: PluginServer) -> None:
    with pytest.raises(BundleError, match=r"cannot download: HTTP 404$"):
        updatecenter.load(server.url("/missing.json"))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(BundleError, match=r"cannot read: No such file"):
        updatecenter.load(str(tmp_path / "none.json"))


def test_bad_release_in_plugin_versions_is_reported_when_used(
    uc_path: Path, tmp_path: Path
) -> None:
    versions = tmp_path / "plugin-versions.json"
    versions.write_text(json.dumps({"plugins": {"junit": {"1.0": {"name": "junit"}}}}))
    center = updatecenter.load(str(uc_path), str(versions))
    assert center.release_count == 1
    with pytest.raises(
        BundleError,
        match=r"plugin-versions.json: plugins.junit: missing or bad "
        r"field 'version'",
    ):
        center.releases("junit")
