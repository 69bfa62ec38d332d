"""The seed image's inputs, without Docker: the wheel must be this very jenkinsgen, the tag its
version, every dependency pinned to what this jenkinsgen runs with."""

from __future__ import annotations

import zipfile
from importlib import metadata
from pathlib import Path

import pytest
from click.testing import CliRunner

from jenkinsgen import __version__
from jenkinsgen.cli.main import cli
from jenkinsgen.errors import ImageError
from jenkinsgen.images import ImageInputs, assemble_context, images_root, read_wheel
from jenkinsgen.images.seed import pinned_requirements, seed_tag


def fake_wheel(where: Path, name: str = "jenkinsgen", version: str = __version__) -> Path:
    """A wheel holding only its METADATA (what read_wheel looks at)."""
    where.mkdir(parents=True, exist_ok=True)
    path = where / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(
            f"{name}-{version}.dist-info/METADATA",
            f"Metadata-Version: 2.3\nName: {name}\nVersion: {version}\n"
            "Requires-Dist: click>=8.1\nRequires-Dist: PyYAML>=6\n"
            "Requires-Dist: paramiko>=3; extra == 'ssh'\n"
            "Requires-Dist: pywin32>=304; sys_platform == 'win32'\n",
        )
    return path


def test_seed_context_holds_the_wheel_and_exact_pins(tmp_path: Path) -> None:
    wheel = read_wheel(fake_wheel(tmp_path / "dist"), __version__)
    assert wheel.requires[-2:] == (
        "paramiko>=3; extra == 'ssh'",
        "pywin32>=304; sys_platform == 'win32'",
    )
    ctx = assemble_context(ImageInputs("seed", wheel=wheel), tmp_path / "ctx")
    assert sorted(str(p.relative_to(ctx)) for p in ctx.rglob("*") if p.is_file()) == [
        ".dockerignore",
        "Dockerfile",
        "jenkinsgen-entrypoint",
        "requirements.txt",
        f"wheel/jenkinsgen-{__version__}-py3-none-any.whl",
    ]
    # the receiver of `jenkinsgen up` runs it; the image's own ENTRYPOINT stays empty
    assert (ctx / "jenkinsgen-entrypoint").read_bytes() == (
        images_root() / "common" / "jenkinsgen-entrypoint"
    ).read_bytes()
    pins = (ctx / "requirements.txt").read_text().splitlines()
    assert pins == sorted(pins) and all("==" in pin for pin in pins)
    names = {pin.split("==")[0] for pin in pins}
    # click and PyYAML with their own dependencies; not the optional extra, not win32 only
    assert {"click", "pyyaml"} <= names and "paramiko" not in names and "pywin32" not in names
    assert f"click=={metadata.version('click')}" in pins
    dockerfile = (ctx / "Dockerfile").read_text()
    assert (
        "ARG SEED_BASE=" in dockerfile and "--no-deps" in dockerfile and "pip check" in dockerfile
    )
    assert (images_root() / "seed" / "Dockerfile").read_text() == dockerfile


def test_pins_cover_the_installed_jenkinsgen_closure() -> None:
    requires = tuple(metadata.requires("jenkinsgen") or ())
    pins = dict(pin.split("==") for pin in pinned_requirements(requires))
    for name in ("python-jenkins", "requests", "urllib3", "lxml", "jinja2", "markupsafe"):
        assert pins[name] == metadata.version(name)
    assert "jenkinsgen" not in pins


def test_an_uninstalled_dependency_cannot_be_pinned() -> None:
    with pytest.raises(ImageError, match="cannot pin 'no-such-dist-here'"):
        pinned_requirements(("no-such-dist-here>=1",))
    assert pinned_requirements(("no-such-dist-here>=1; python_version < '3'",)) == []


def test_a_wheel_of_another_version_or_project_is_refused(tmp_path: Path) -> None:
    with pytest.raises(
        ImageError, match=rf"is jenkinsgen 9\.9\.9, but this is jenkinsgen {__version__}"
    ):
        read_wheel(fake_wheel(tmp_path / "a", version="9.9.9"), __version__)
    other = fake_wheel(tmp_path / "b", name="jenkinsgen_other")
    with pytest.raises(ImageError, match="not a jenkinsgen wheel name"):
        read_wheel(other, __version__)
    renamed = other.rename(tmp_path / "b" / f"jenkinsgen-{__version__}-py3-none-any.whl")
    with pytest.raises(ImageError, match="a wheel of jenkinsgen_other, not of jenkinsgen"):
        read_wheel(renamed, __version__)
    (tmp_path / "c").mkdir()
    junk = tmp_path / "c" / f"jenkinsgen-{__version__}-py3-none-any.whl"
    junk.write_text("not a zip")
    with pytest.raises(ImageError, match="not a wheel"):
        read_wheel(junk, __version__)
    with pytest.raises(ImageError, match="does not exist"):
        read_wheel(tmp_path / "missing.whl", __version__)


def test_the_seed_tag_is_the_version() -> None:
    assert seed_tag(None, "1.2.3", "jenkinsgen-seed") == "jenkinsgen-seed:1.2.3"
    assert seed_tag("acme/seed", "1.2.3", "x") == "acme/seed:1.2.3"
    assert seed_tag("localhost:5000/seed", "1.2.3", "x") == "localhost:5000/seed:1.2.3"
    assert seed_tag("acme/seed:1.2.3", "1.2.3", "x") == "acme/seed:1.2.3"
    with pytest.raises(
        ImageError, match=r"must be the jenkinsgen version \(1\.2\.3\), not 'latest'"
    ):
        seed_tag("acme/seed:latest", "1.2.3", "x")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["seed"], "the seed image needs --wheel"),
        (["agent", "--wheel", "x.whl"], "--wheel applies to the seed image only"),
        (
            ["seed", "--wheel", "WHEEL", "--jobs", "."],
            "--bundle and --jobs apply to the controller",
        ),
        (["seed", "--wheel", "WHEEL", "-t", "acme/seed:latest"], "must be the jenkinsgen version"),
        (["seed", "--wheel", "OLD"], "is jenkinsgen 0.0.1, but this is jenkinsgen"),
    ],
)
def test_cli_refuses_before_building(tmp_path: Path, args: list[str], message: str) -> None:
    wheel = fake_wheel(tmp_path / "new")
    old = fake_wheel(tmp_path / "old", version="0.0.1")
    argv = [
        "image",
        "build",
        *[str(wheel) if a == "WHEEL" else str(old) if a == "OLD" else a for a in args],
    ]
    result = CliRunner().invoke(cli, argv)
    assert result.exit_code == 1, result.output
    assert result.output.count("\n") == 1 and message in result.output, result.output
