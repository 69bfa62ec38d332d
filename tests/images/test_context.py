"""Build contexts: what goes into them, what is refused, and one shared entrypoint."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from jenkinsgen.cli.main import cli
from jenkinsgen.errors import ImageError
from jenkinsgen.images import ImageInputs, assemble_context, images_root, push_reference
from jenkinsgen.images.build import registry_auth
from tests.dockerlib.plugins import make_plugin


def files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_controller_context(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    make_plugin(bundle, "mailer")
    make_plugin(bundle, "junit")
    (bundle / "junit.jpi").rename(bundle / "junit.hpi")
    (bundle / "README").write_text("not a plugin, ignored")
    out = tmp_path / "out"
    (out / "jobs" / "delivery" / "jobs" / "seed").mkdir(parents=True)
    (out / "jobs" / "delivery" / "config.xml").write_text("<folder/>")
    (out / "jobs" / "delivery" / "jobs" / "seed" / "config.xml").write_text("<seed/>")
    ctx = assemble_context(
        ImageInputs("controller", plugins_dir=bundle, jobs_dir=out), tmp_path / "ctx"
    )
    assert files(ctx) == [
        ".dockerignore",
        "Dockerfile",
        "casc.yaml",
        "install-tools",
        "jenkinsgen-entrypoint",
        "jobs/delivery/config.xml",
        "jobs/delivery/jobs/seed/config.xml",
        "plugins/junit.jpi",
        "plugins/mailer.jpi",
    ]
    assert (ctx / "jenkinsgen-entrypoint").stat().st_mode & 0o777 == 0o755
    assert (ctx / "plugins" / "mailer.jpi").stat().st_mode & 0o777 == 0o644


def test_both_images_get_the_one_shared_entrypoint_and_installer(tmp_path: Path) -> None:
    for name in ("jenkinsgen-entrypoint", "install-tools"):
        shared = (images_root() / "common" / name).read_bytes()
        for kind in ("controller", "agent"):
            ctx = assemble_context(ImageInputs(kind), tmp_path / name / kind)
            assert (ctx / name).read_bytes() == shared
            assert f"COPY {name} " in (ctx / "Dockerfile").read_text()
        assert not (images_root() / "controller" / name).exists()
        assert not (images_root() / "agent" / name).exists()


def test_plugin_layer_comes_before_everything_the_spec_changes() -> None:
    lines = (images_root() / "controller" / "Dockerfile").read_text().splitlines()
    index = {word: i for i, line in enumerate(lines) for word in line.split()}
    assert index["plugins/"] < index["casc.yaml"] < index["jobs/"]
    assert lines[index["ARG"]].startswith("ARG JENKINS_BASE=jenkins/jenkins:")


def test_a_file_that_is_not_a_plugin_is_refused(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (bundle / "evil.jpi").write_text("not a zip")
    with pytest.raises(ImageError, match=r"evil\.jpi: not a Jenkins plugin archive"):
        assemble_context(ImageInputs("controller", plugins_dir=bundle), tmp_path / "ctx")
    with zipfile.ZipFile(bundle / "evil.jpi", "w") as archive:
        archive.writestr("other.txt", "x")
    with pytest.raises(ImageError, match="not a Jenkins plugin archive"):
        assemble_context(ImageInputs("controller", plugins_dir=bundle), tmp_path / "ctx2")


def test_jobs_must_be_a_render_output(tmp_path: Path) -> None:
    """--jobs takes OUT (holding jobs/) or OUT/jobs; any other directory is refused, so a
    mistaken --jobs / or --jobs ~ cannot copy a whole tree into the image."""
    (tmp_path / "elsewhere" / "x").mkdir(parents=True)
    (tmp_path / "elsewhere" / "x" / "config.xml").write_text("<x/>")
    with pytest.raises(ImageError, match="not an output of `jenkinsgen render`"):
        assemble_context(
            ImageInputs("controller", jobs_dir=tmp_path / "elsewhere"), tmp_path / "c1"
        )
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "jobs").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(ImageError, match="symbolic links"):
        assemble_context(ImageInputs("controller", jobs_dir=tmp_path / "out"), tmp_path / "c2")
    (tmp_path / "out2" / "jobs" / "seed").mkdir(parents=True)
    (tmp_path / "out2" / "jobs" / "seed" / "config.xml").write_text("<seed/>")
    for given in (tmp_path / "out2", tmp_path / "out2" / "jobs"):  # OUT or OUT/jobs
        ctx = assemble_context(
            ImageInputs("controller", jobs_dir=given), tmp_path / f"c-{given.name}"
        )
        assert files(ctx / "jobs") == ["seed/config.xml"]


def test_symlinks_in_rendered_jobs_are_refused(tmp_path: Path) -> None:
    jobs = tmp_path / "out" / "jobs"
    jobs.mkdir(parents=True)
    (jobs / "leak").symlink_to("/etc/passwd")
    with pytest.raises(ImageError, match="symbolic links"):
        assemble_context(ImageInputs("controller", jobs_dir=tmp_path / "out"), tmp_path / "ctx")


def test_context_directory_must_be_empty(tmp_path: Path) -> None:
    (tmp_path / "ctx").mkdir()
    (tmp_path / "ctx" / "x").write_text("")
    with pytest.raises(ImageError, match="not empty"):
        assemble_context(ImageInputs("agent"), tmp_path / "ctx")


def test_push_reference_and_auth() -> None:
    assert push_reference("jenkinsgen/controller:1.2", "reg.example.com/acme/") == (
        "reg.example.com/acme/controller:1.2"
    )
    assert push_reference("localhost:5000/x/agent", "r:1") == "r:1/agent:latest"
    assert push_reference("a:b", "127.0.0.1:5000") == "127.0.0.1:5000/a:b"
    for bad in (" ", "", "reg.example.com/Acme", "reg example.com", "reg.example.com:x/a", "-r/a"):
        with pytest.raises(ImageError, match="invalid registry"):
            push_reference("a:b", bad)
    assert registry_auth({}) is None
    assert registry_auth(
        {"JENKINSGEN_REGISTRY_USERNAME": "u", "JENKINSGEN_REGISTRY_PASSWORD": "p"}
    ) == {"username": "u", "password": "p"}
    with pytest.raises(ImageError, match="set both"):
        registry_auth({"JENKINSGEN_REGISTRY_USERNAME": "u"})


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["image", "build", "agent", "--bundle", "x.lock"], "apply to the controller image only"),
        (["image", "build", "controller", "--agent-port", "99999"], "agent port 99999"),
        (["image", "build", "agent", "--push", " "], "invalid registry"),
        (["image", "build", "controller", "--push", "Reg.example.com/Acme"], "invalid registry"),
        (["image", "build", "controller", "--approver", "-x"], "approver '-x'"),
        (["image", "build", "agent", "--approver", "qa"], "controller image only"),
    ],
)
def test_cli_usage_errors_are_one_line(args: list[str], message: str) -> None:
    # No engine: every one of these must be refused before Docker is even contacted.
    result = CliRunner().invoke(cli, args, env={"DOCKER_HOST": "unix:///nonexistent/docker.sock"})
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and message in errors[0], result.output
    assert "Traceback" not in result.output


def test_cli_reports_a_bad_spec_as_the_validator_does(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text("version: 1\nfolder: x\n")
    args = ["image", "build", "controller", "--spec", str(spec)]
    result = CliRunner().invoke(cli, args, env={"DOCKER_HOST": "tcp://127.0.0.1:1"})
    assert result.exit_code == 1
    assert f"{spec}:1:1: defaults: missing required key 'defaults'" in result.output
    assert "Traceback" not in result.output and "Docker" not in result.output


def test_cli_checks_the_bundle_before_building(tmp_path: Path) -> None:
    """A bundle with configuration-as-code but without matrix-auth is refused (the default
    matrix casc would stop Jenkins at start); a bundle without configuration-as-code is warned
    about (unsecured controller), and so is --authorization logged-in (approval gates do not
    hold); all before the engine is contacted."""
    bundle = tmp_path / "bundle"
    make_plugin(bundle, "mailer")
    no_engine = {"DOCKER_HOST": "tcp://127.0.0.1:1"}  # refused at once
    args = ["image", "build", "controller", "--bundle", str(bundle)]
    result = CliRunner().invoke(cli, args, env=no_engine)
    assert "warning: no configuration-as-code plugin in the bundle" in result.output
    assert "cannot reach the Docker engine" in result.output  # checked first, then the engine
    make_plugin(bundle, "configuration-as-code")
    result = CliRunner().invoke(cli, args, env=no_engine)
    assert result.exit_code == 1
    assert result.output == (
        "error: --authorization matrix (the default) needs the matrix-auth plugin in --bundle "
        "(images/controller/plugins.txt has it)\n"
    )
    result = CliRunner().invoke(cli, [*args, "--authorization", "logged-in"], env=no_engine)
    assert "warning: --authorization logged-in gives every logged-in user" in result.output
    make_plugin(bundle, "matrix-auth")
    result = CliRunner().invoke(cli, args, env=no_engine)
    assert "warning" not in result.output and "cannot reach the Docker engine" in result.output
