"""`--bundle plugins.lock`: the lock is downloaded and verified by jenkinsgen.bundle."""

from __future__ import annotations

from pathlib import Path

import pytest

from jenkinsgen.errors import BundleError, ImageError
from jenkinsgen.images import ImageInputs, assemble_context, plugins_from_bundle
from tests.images.bundlelock import write_file_lock


def test_lock_is_downloaded_verified_and_baked(tmp_path: Path) -> None:
    lock = write_file_lock(tmp_path, {"mailer": "1.2", "junit": "1.43"})
    plugins = plugins_from_bundle(lock, tmp_path / "cache")
    ctx = assemble_context(ImageInputs("controller", plugins_dir=plugins), tmp_path / "ctx")
    assert sorted(p.name for p in (ctx / "plugins").iterdir()) == ["junit.jpi", "mailer.jpi"]
    repo = tmp_path / "repo"
    assert (ctx / "plugins" / "junit.jpi").read_bytes() == (repo / "junit.jpi").read_bytes()


def test_a_checksum_mismatch_stops_the_build(tmp_path: Path) -> None:
    lock = write_file_lock(tmp_path, {"mailer": "1.2", "junit": "1.43"}, corrupt="junit")
    with pytest.raises(BundleError, match="junit"):
        plugins_from_bundle(lock, tmp_path / "cache")
    assert not list((tmp_path / "cache").glob("*.jpi"))


def test_missing_bundle(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="does not exist"):
        plugins_from_bundle(tmp_path / "nope.lock", tmp_path / "cache")
