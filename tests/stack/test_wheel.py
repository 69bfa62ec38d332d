"""The wheel `up` puts into the seed (receiver) image when no --wheel is given: packed again
from the running jenkinsgen, from its checkout (editable install) or its installed files."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from importlib import metadata
from pathlib import Path

import pytest

from jenkinsgen import __version__
from jenkinsgen.images.seed import read_wheel
from jenkinsgen.stack.wheel import repack_wheel, running_wheel

#: What an installer adds to the files of a wheel it installs.
INSTALLER_ONLY = {"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"}


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_an_installed_jenkinsgen_is_packed_again_file_for_file(
    jenkinsgen_wheel: Path, tmp_path: Path
) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-compile",
         "--target", str(target), str(jenkinsgen_wheel)],
        check=True, capture_output=True,
    )  # fmt: skip
    [dist] = metadata.Distribution.discover(name="jenkinsgen", path=[str(target)])
    rebuilt = repack_wheel(dist, tmp_path / "out")
    assert rebuilt.name == f"jenkinsgen-{__version__}-py3-none-any.whl"
    original, again = members(jenkinsgen_wheel), members(rebuilt)

    def content(files: dict[str, bytes]) -> dict[str, bytes]:
        return {n: d for n, d in files.items() if n.rsplit("/", 1)[-1] not in INSTALLER_ONLY}

    assert content(again) == content(original)
    info = f"jenkinsgen-{__version__}.dist-info"
    record = again[f"{info}/RECORD"].decode().splitlines()
    assert len(record) == len(again) and f"{info}/RECORD,," in record
    assert read_wheel(rebuilt, __version__).version == __version__
    assert repack_wheel(dist, tmp_path / "again").read_bytes() == rebuilt.read_bytes()


@pytest.mark.slow
def test_the_checkout_this_runs_from_gives_a_wheel_of_this_version(tmp_path: Path) -> None:
    wheel = running_wheel(tmp_path)  # the test environment's jenkinsgen is an editable install
    assert read_wheel(wheel, __version__).path == wheel
    assert "jenkinsgen/stack/wheel.py" in members(wheel)
