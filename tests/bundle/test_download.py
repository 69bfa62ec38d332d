"""Downloads from a real HTTP server on 127.0.0.1 serving archives built from real manifests."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest

from jenkinsgen.bundle import pluginlist, updatecenter
from jenkinsgen.bundle.download import download, fetch_bytes, mirror_url
from jenkinsgen.bundle.lock import Lock, LockedPlugin, read_lock, write_lock
from jenkinsgen.bundle.manifest import MANIFEST_PATH
from jenkinsgen.bundle.resolve import resolve
from jenkinsgen.errors import BundleError
from tests.bundle.archives import Catalogue, b64sha256, make_hpi, manifest_text

REQUESTS = "github-branch-source\njunit\n"
CLOSURE = ["credentials", "github-branch-source", "junit", "ssh-credentials"]


def _lock(catalogue: Catalogue, text: str = REQUESTS) -> Lock:
    center = updatecenter.load(str(catalogue.write()))
    return resolve(pluginlist.parse_txt(text), center, "2.249.3", fetch=fetch_bytes).lock


def _snapshot(directory: Path) -> dict[str, bytes]:
    """Every file under ``directory``'s parent (so staging leftovers show up too)."""
    root = directory.parent
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def _path(catalogue: Catalogue, name: str) -> str:
    entry = catalogue.document["plugins"][name]
    return f"/download/plugins/{name}/{entry['version']}/{name}.hpi"


def test_download_verifies_and_second_run_skips(catalogue: Catalogue, tmp_path: Path) -> None:
    lock = _lock(catalogue)
    assert [p.name for p in lock.plugins] == CLOSURE
    target = tmp_path / "out" / "plugins"
    events: list[tuple[str, str]] = []
    paths = download(lock, target, workers=3, progress=lambda p, a: events.append((p.name, a)))
    assert paths == [target / f"{name}.jpi" for name in CLOSURE]
    for plugin in lock.plugins:
        data = (target / plugin.filename).read_bytes()
        assert data == catalogue.archives[plugin.name]
        assert hashlib.sha256(data).hexdigest() == plugin.sha256
    assert sorted(events) == [(n, "downloaded") for n in CLOSURE]
    assert sum(catalogue.server.hits.values()) == 4
    assert sorted(p.name for p in target.parent.iterdir()) == ["plugins"]  # no staging left

    events.clear()
    download(lock, target, progress=lambda p, a: events.append((p.name, a)))
    assert sum(catalogue.server.hits.values()) == 4  # nothing fetched again
    assert sorted(events) == [(n, "skipped") for n in CLOSURE]


def test_optional_dependency_not_downloaded_unless_present(
    catalogue: Catalogue, tmp_path: Path
) -> None:
    # github-branch-source has an optional dependency on mailer, which pulls display-url-api
    lock = _lock(catalogue, "github-branch-source\nmailer\n")
    assert "display-url-api" in {p.name for p in lock.plugins}
    assert "mailer" not in {p.name for p in _lock(catalogue, "github-branch-source\n").plugins}


def test_checksum_mismatch_leaves_dir_unchanged(catalogue: Catalogue, tmp_path: Path) -> None:
    lock = _lock(catalogue)
    target = tmp_path / "plugins"
    target.mkdir()
    (target / "junit.jpi").write_bytes(catalogue.archives["junit"])  # already there, valid
    (target / "notes.txt").write_text("keep me")
    # the server now serves a different (but well-formed) ssh-credentials archive
    catalogue.server.files[_path(catalogue, "ssh-credentials")] = make_hpi(
        manifest_text(_manifest(catalogue, "ssh-credentials")), extra=b"tampered"
    )
    before = _snapshot(target)
    with pytest.raises(BundleError) as caught:
        download(lock, target, retries=0)
    message = str(caught.value)
    assert "ssh-credentials 1.10: sha256 mismatch: expected " in message
    assert message.splitlines()[-1] == f"{target}: left unchanged"
    assert _snapshot(target) == before


def _manifest(catalogue: Catalogue, name: str) -> str:
    """The manifest text inside the archive the catalogue built for ``name``."""
    with zipfile.ZipFile(io.BytesIO(catalogue.archives[name])) as archive:
        return archive.read(MANIFEST_PATH).decode()


def test_manifest_mismatch_is_refused(catalogue: Catalogue, tmp_path: Path) -> None:
    # an archive whose checksum is published correctly but whose manifest says another version
    data = make_hpi(manifest_text(_manifest(catalogue, "junit"), Plugin_Version="1.3"))
    catalogue.server.files[_path(catalogue, "junit")] = data
    catalogue.document["plugins"]["junit"]["sha256"] = b64sha256(data)
    lock = _lock(catalogue)
    target = tmp_path / "plugins"
    with pytest.raises(
        BundleError,
        match=r"manifest Plugin-Version of junit is '1.3', "
        r"expected '1.2'",
    ):
        download(lock, target)
    assert not target.exists()
    assert list(tmp_path.iterdir()) == [catalogue.path]


def test_html_instead_of_an_archive(catalogue: Catalogue, tmp_path: Path) -> None:
    page = b"<html>mirror error page</html>"
    catalogue.server.files[_path(catalogue, "junit")] = page
    catalogue.document["plugins"]["junit"]["sha256"] = b64sha256(page)
    with pytest.raises(BundleError, match=r"junit 1.2: not a plugin archive: not a zip file"):
        download(_lock(catalogue), tmp_path / "plugins")


def test_transient_failures_are_retried(catalogue: Catalogue, tmp_path: Path) -> None:
    lock = _lock(catalogue)
    server = catalogue.server
    server.faults[_path(catalogue, "junit")] = ["500", "truncate"]
    server.faults[_path(catalogue, "credentials")] = ["503"]
    download(lock, tmp_path / "plugins", backoff=0.01)
    assert server.hits[_path(catalogue, "junit")] == 3
    assert server.hits[_path(catalogue, "credentials")] == 2
    assert (tmp_path / "plugins" / "junit.jpi").read_bytes() == catalogue.archives["junit"]


def test_persistent_truncation_fails_after_retries(catalogue: Catalogue, tmp_path: Path) -> None:
    lock = _lock(catalogue)
    path = _path(catalogue, "junit")
    catalogue.server.faults[path] = ["truncate"] * 10
    target = tmp_path / "plugins"
    with pytest.raises(BundleError, match=r"junit.hpi: .*\(after 3 attempts\)"):
        download(lock, target, retries=2, backoff=0.01)
    assert catalogue.server.hits[path] == 3
    assert not target.exists()
    assert list(tmp_path.iterdir()) == [catalogue.path]


def test_not_found_is_not_retried(catalogue: Catalogue, tmp_path: Path) -> None:
    lock = _lock(catalogue)
    path = _path(catalogue, "credentials")
    del catalogue.server.files[path]
    with pytest.raises(BundleError, match=r"credentials.hpi: HTTP 404"):
        download(lock, tmp_path / "plugins", backoff=0.01)
    assert catalogue.server.hits[path] == 1


def test_interrupted_download_leaves_dir_unchanged(catalogue: Catalogue, tmp_path: Path) -> None:
    lock = _lock(catalogue)
    target = tmp_path / "plugins"
    target.mkdir()
    (target / "old.jpi").write_bytes(b"old")
    before = _snapshot(target)

    def interrupt(plugin: LockedPlugin, action: str) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        download(lock, target, workers=1, progress=interrupt)
    assert _snapshot(target) == before


def test_corrupt_existing_file_is_replaced(catalogue: Catalogue, tmp_path: Path) -> None:
    lock = _lock(catalogue)
    target = tmp_path / "plugins"
    download(lock, target)
    (target / "junit.jpi").write_bytes(b"corrupt")
    hits = sum(catalogue.server.hits.values())
    download(lock, target)
    assert sum(catalogue.server.hits.values()) == hits + 1
    assert (target / "junit.jpi").read_bytes() == catalogue.archives["junit"]


def test_mirror_rewrites_the_download_base(catalogue: Catalogue, tmp_path: Path) -> None:
    for entry in catalogue.document["plugins"].values():
        entry["url"] = entry["url"].replace(catalogue.server.base, "https://updates.jenkins.io")
    lock = _lock(catalogue)
    assert lock.plugins[0].url.startswith("https://updates.jenkins.io/download/plugins/")
    catalogue.server.files = {
        path.replace("/download/", "/mirror/"): data
        for path, data in catalogue.server.files.items()
    }
    download(lock, tmp_path / "plugins", mirror=catalogue.server.url("/mirror/"))
    assert catalogue.server.hits[_path(catalogue, "junit").replace("/download/", "/mirror/")] == 1
    assert len(list((tmp_path / "plugins").iterdir())) == len(CLOSURE)


def test_offline_file_mirror(catalogue: Catalogue, tmp_path: Path) -> None:
    lock = _lock(catalogue)
    mirror = tmp_path / "mirror"
    for path, data in catalogue.server.files.items():
        local = mirror / path.removeprefix("/download/")
        local.parent.mkdir(parents=True, exist_ok=True)
        local.write_bytes(data)
    download(lock, tmp_path / "plugins", mirror=mirror.as_uri())
    assert sum(catalogue.server.hits.values()) == 0
    assert len(list((tmp_path / "plugins").iterdir())) == len(CLOSURE)


def test_mirror_url_rule() -> None:
    url = "https://updates.jenkins.io/download/plugins/junit/1.43/junit.hpi"
    assert mirror_url(url, None) == url
    assert mirror_url(url, "https://m.example/jenkins/") == (
        "https://m.example/jenkins/plugins/junit/1.43/junit.hpi"
    )
    other = "https://repo.jenkins-ci.org/incrementals/org/x/a/1/a-1.hpi"
    assert mirror_url(other, "https://m.example") == other


def test_plugin_given_by_url_is_resolved_from_its_manifest(
    catalogue: Catalogue, tmp_path: Path
) -> None:
    """``name::URL``: checksum computed and dependencies read from the archive's manifest."""
    archive = make_hpi(
        manifest_text(
            _manifest(catalogue, "ssh-credentials"),
            Short_Name="custom",
            Plugin_Version="0.9-custom",
            Plugin_Dependencies="credentials:2.3.0,mailer:1.0;resolution:=optional",
        )
    )
    catalogue.server.files["/custom/custom.hpi"] = archive
    url = catalogue.server.url("/custom/custom.hpi")
    lock = _lock(catalogue, f"custom::{url}\n")
    assert {p.name: p.version for p in lock.plugins} == {
        "custom": "0.9-custom",
        "credentials": "2.3.0",
    }
    custom = lock.plugins[1]
    assert (custom.url, custom.sha256) == (url, hashlib.sha256(archive).hexdigest())
    download(lock, tmp_path / "plugins")
    assert (tmp_path / "plugins" / "custom.jpi").read_bytes() == archive
    with pytest.raises(
        BundleError,
        match=r"p.txt:1: custom from .*: manifest Plugin-Version of "
        r"custom is '0.9-custom', expected '1.0'",
    ):
        center = updatecenter.load(str(catalogue.write()))
        resolve(
            pluginlist.parse_txt(f"custom:1.0:{url}\n", "p.txt"),
            center,
            "2.249.3",
            fetch=fetch_bytes,
        )


def test_lock_file_round_trip_through_download(catalogue: Catalogue, tmp_path: Path) -> None:
    write_lock(_lock(catalogue), tmp_path / "plugins.lock")
    lock = read_lock(tmp_path / "plugins.lock")
    assert json.loads((tmp_path / "plugins.lock").read_text())["plugins"][0]["name"] == (
        "credentials"
    )
    download(lock, tmp_path / "plugins")
    assert sorted(p.name for p in (tmp_path / "plugins").iterdir()) == [f"{n}.jpi" for n in CLOSURE]


def test_downloads_run_in_parallel(catalogue: Catalogue, tmp_path: Path) -> None:
    lock = _lock(catalogue)
    catalogue.server.delay = 0.3
    download(lock, tmp_path / "parallel", workers=4)
    assert catalogue.server.max_in_flight >= 2
    catalogue.server.max_in_flight = 0
    download(lock, tmp_path / "serial", workers=1)
    assert catalogue.server.max_in_flight == 1


def test_incremental_build_is_fetched_from_the_incrementals_repository(
    catalogue: Catalogue, tmp_path: Path
) -> None:
    """``name:incrementals;GROUP;VERSION`` resolves from the archive at the Maven URL (served
    here through an injected fetcher, since repo.jenkins-ci.org is not reachable)."""
    version = "2.19-rc289.d09828a05a74"
    archive = make_hpi(
        manifest_text(
            _manifest(catalogue, "junit"),
            Short_Name="workflow-step-api",
            Plugin_Version=version,
            Plugin_Dependencies="junit:1.0",
        )
    )
    asked: list[str] = []

    def fetch(url: str) -> bytes:
        asked.append(url)
        return archive

    center = updatecenter.load(str(catalogue.write()))
    text = f"workflow-step-api:incrementals;org.jenkins-ci.plugins.workflow;{version}:\n"
    lock = resolve(pluginlist.parse_txt(text), center, "2.249.3", fetch=fetch).lock
    expected_url = (
        "https://repo.jenkins-ci.org/incrementals/org/jenkins-ci/plugins/workflow/"
        f"workflow-step-api/{version}/workflow-step-api-{version}.hpi"
    )
    assert asked == [expected_url]
    assert {(p.name, p.version, p.url) for p in lock.plugins} == {
        ("workflow-step-api", version, expected_url),
        ("junit", "1.2", catalogue.document["plugins"]["junit"]["url"]),
    }


def test_prune_removes_archives_the_lock_does_not_name(
    catalogue: Catalogue, tmp_path: Path
) -> None:
    lock = _lock(catalogue)
    target = tmp_path / "plugins"
    target.mkdir()
    (target / "stale.jpi").write_bytes(b"from an older lock")
    (target / "README").write_text("not an archive")
    download(lock, target)
    assert (target / "stale.jpi").exists()
    download(lock, target, prune=True)
    assert sorted(p.name for p in target.iterdir()) == ["README"] + [f"{n}.jpi" for n in CLOSURE]


def test_prune_does_nothing_when_the_download_fails(catalogue: Catalogue, tmp_path: Path) -> None:
    lock = _lock(catalogue)
    target = tmp_path / "plugins"
    target.mkdir()
    (target / "stale.jpi").write_bytes(b"old")
    del catalogue.server.files[_path(catalogue, "junit")]
    with pytest.raises(BundleError, match=r"HTTP 404"):
        download(lock, target, prune=True)
    assert [p.name for p in target.iterdir()] == ["stale.jpi"]


def test_credentials_in_urls_reach_neither_the_lock_nor_errors(
    catalogue: Catalogue, tmp_path: Path
) -> None:
    """A private update center / mirror given with user:password@ or ?token=: the request is
    made (authenticated), but the secret never lands in plugins.lock or a message."""
    catalogue.write()
    catalogue.server.files["/private/update-center.json"] = catalogue.path.read_bytes()
    host = catalogue.server.base.removeprefix("http://")
    source = f"http://deploy:s3cr3t-pw@{host}/private/update-center.json?token=s3cr3t-tok"
    center = updatecenter.load(source)
    assert catalogue.server.hits["/private/update-center.json"] == 1
    lock = resolve(pluginlist.parse_txt("junit\n"), center, "2.249.3").lock
    write_lock(lock, tmp_path / "plugins.lock")
    text = (tmp_path / "plugins.lock").read_text()
    assert "s3cr3t" not in text
    assert lock.update_center["source"] == f"http://***@{host}/private/update-center.json?***"

    with pytest.raises(BundleError) as caught:
        updatecenter.load(source.replace("update-center.json", "missing.json"))
    assert "s3cr3t" not in str(caught.value)

    mirror = f"http://deploy:s3cr3t-pw@{host}/nowhere?token=s3cr3t-tok"
    with pytest.raises(BundleError) as caught:
        download(lock, tmp_path / "plugins", mirror=mirror, retries=0)
    assert "HTTP 404" in str(caught.value)
    assert "s3cr3t" not in str(caught.value)
    unreachable = "http://deploy:s3cr3t-pw@127.0.0.1:9/x?token=s3cr3t-tok"
    with pytest.raises(BundleError) as caught:
        download(lock, tmp_path / "plugins", mirror=unreachable, retries=0)
    assert "s3cr3t" not in str(caught.value)
