"""MANIFEST.MF reading on real plugin manifests (72-column continuation lines)."""

from __future__ import annotations

from pathlib import Path

import pytest

from jenkinsgen.bundle import manifest
from jenkinsgen.bundle.updatecenter import Dependency
from jenkinsgen.errors import BundleError
from tests.bundle.archives import make_hpi, manifest_text


def _real(test_data: Path, name: str) -> str:
    return (test_data / "manifests" / f"{name}.MANIFEST.MF").read_text(encoding="utf-8")


def test_continuation_lines_are_joined(test_data: Path) -> None:
    attributes = manifest.parse(_real(test_data, "github-branch-source"))
    assert attributes["Short-Name"] == "github-branch-source"
    assert attributes["Plugin-Version"] == "1.8"
    assert attributes["Specification-Title"] == (
        "Multibranch projects and organization folders from GitHub. Maintained by CloudBees, Inc."
    )
    assert attributes["Url"] == (
        "https://wiki.jenkins-ci.org/display/JENKINS/CloudBees+GitHub+Branch+Source+Plugin"
    )
    assert manifest.dependencies(attributes) == (
        Dependency("github-api", "1.75"),
        Dependency("github", "1.14.0"),
        Dependency("credentials", "1.22"),
        Dependency("scm-api", "1.2"),
        Dependency("git", "2.3"),
    )


@pytest.mark.parametrize(
    ("name", "version", "core"),
    [
        ("junit", "1.2", "1.577"),
        ("mailer", "1.32", "2.150.1"),
        ("ssh-credentials", "1.10", "1.532.2"),
        ("github-branch-source", "1.8", "1.609.3"),
    ],
)
def test_every_real_manifest(test_data: Path, name: str, version: str, core: str) -> None:
    attributes = manifest.parse(_real(test_data, name))
    assert (attributes["Short-Name"], attributes["Plugin-Version"]) == (name, version)
    assert attributes["Jenkins-Version"] == core
    manifest.check(attributes, name, version, "x")


def test_optional_dependencies_and_crlf(test_data: Path) -> None:
    text = manifest_text(
        _real(test_data, "mailer"),
        Plugin_Dependencies="display-url-api:2.3.1,matrix-auth:1.0;resolution"
        ":=optional,a-very-long-plugin-name-to-force-"
        "continuation-lines:1.0",
    )
    assert "\r\n " in text  # the line was folded at 72 bytes
    deps = manifest.dependencies(manifest.parse(text))
    assert deps == (
        Dependency("display-url-api", "2.3.1"),
        Dependency("matrix-auth", "1.0", optional=True),
        Dependency("a-very-long-plugin-name-to-force-continuation-lines", "1.0"),
    )


def test_only_the_main_section_counts() -> None:
    text = "Manifest-Version: 1.0\nShort-Name: a\n\nName: x\nShort-Name: b\n"
    assert manifest.parse(text)["Short-Name"] == "a"


def test_archive_checks(test_data: Path) -> None:
    data = make_hpi(_real(test_data, "junit"))
    attributes = manifest.read_archive(data, "junit.jpi")
    manifest.check(attributes, "junit", "1.2", "junit.jpi")
    with pytest.raises(
        BundleError,
        match=r"junit.jpi: manifest Short-Name is 'junit', "
        r"expected 'mailer'",
    ):
        manifest.check(attributes, "mailer", "1.2", "junit.jpi")
    with pytest.raises(BundleError, match=r"Plugin-Version of junit is '1.2', expected '1.3'"):
        manifest.check(attributes, "junit", "1.3", "junit.jpi")


def test_not_an_archive() -> None:
    with pytest.raises(BundleError, match=r"x.jpi: not a plugin archive: not a zip file"):
        manifest.read_archive(b"<html>nope</html>", "x.jpi")


def test_zip_without_manifest() -> None:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.html", "hi")
    with pytest.raises(BundleError, match=r"no META-INF/MANIFEST.MF"):
        manifest.read_archive(buffer.getvalue(), "x.jpi")


def test_garbage_manifest_line() -> None:
    with pytest.raises(BundleError, match=r"not a 'Name: value' line"):
        manifest.parse("Manifest-Version: 1.0\nthis is not an attribute\n")
