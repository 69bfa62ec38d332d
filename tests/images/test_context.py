"""Build contexts: what goes into them, what is refused, and one shared entrypoint."""

from __future__ import annotations

import hashlib
import shutil
import tarfile
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from jenkinsgen.casc.controller import ControllerConfig
from jenkinsgen.cli.main import cli
from jenkinsgen.errors import ImageError
from jenkinsgen.images import ImageInputs, assemble_context, images_root, push_reference
from jenkinsgen.images.build import registry_auth
from jenkinsgen.render import render_spec
from jenkinsgen.render.output import write_tree
from jenkinsgen.spec import load_spec
from tests.dockerlib.plugins import make_plugin

GOLDEN = Path(__file__).resolve().parents[1] / "golden"


def archived(ctx: Path) -> dict[str, bytes]:
    """The members of the context's jobs.tar: path → content, in archive order."""
    with tarfile.open(ctx / "jobs.tar") as archive:
        out = {}
        for member in archive.getmembers():
            assert member.isfile() and member.mode == 0o644, member
            handle = archive.extractfile(member)
            assert handle is not None
            out[member.name] = handle.read()
        return out


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
    (out / "casc").mkdir()
    (out / "casc" / "agents.yaml").write_text("jenkins:\n  clouds: []\n")
    ctx = assemble_context(
        ImageInputs("controller", plugins_dir=bundle, jobs_dir=out), tmp_path / "ctx"
    )
    assert files(ctx) == [
        ".dockerignore",
        "Dockerfile",
        "admin-password",
        "casc/image/controller.yaml",
        "casc/rendered/agents.yaml",
        "install-tools",
        "jenkinsgen-controller-start",
        "jenkinsgen-entrypoint",
        "jobs.sha256",
        "jobs.tar",
        "plugins/junit.jpi",
        "plugins/mailer.jpi",
    ]
    assert (ctx / "jenkinsgen-entrypoint").stat().st_mode & 0o777 == 0o755
    assert (ctx / "jenkinsgen-controller-start").stat().st_mode & 0o777 == 0o755
    assert (ctx / "plugins" / "mailer.jpi").stat().st_mode & 0o777 == 0o644
    assert (ctx / "casc" / "rendered" / "agents.yaml").read_text() == "jenkins:\n  clouds: []\n"
    assert (ctx / "admin-password").read_text() == "env JENKINS_ADMIN_PASSWORD\n"
    assert archived(ctx) == {
        "delivery/config.xml": b"<folder/>",
        "delivery/jobs/seed/config.xml": b"<seed/>",
    }
    sha = hashlib.sha256(b"<seed/>").hexdigest()
    assert (ctx / "jobs.sha256").read_text().splitlines() == [
        f"{hashlib.sha256(b'<folder/>').hexdigest()}  delivery/config.xml",
        f"{sha}  delivery/jobs/seed/config.xml",
    ]


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
    assert index["plugins/"] < index["casc/"] < index["jobs.tar"]
    assert "    CASC_JENKINS_CONFIG=/usr/share/jenkinsgen/casc \\" in lines
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
        assert list(archived(ctx)) == ["seed/config.xml"]


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


def test_everything_render_wrote_is_baked(tmp_path: Path) -> None:
    """--jobs OUT bakes every job file and every casc file `render` wrote (the clouds of
    casc/agents.yaml included), whether given OUT or OUT/jobs; nothing else of OUT."""
    out = tmp_path / "out"
    spec = load_spec(GOLDEN / "agents-clouds" / "spec.yaml")
    write_tree(render_spec(spec), out)
    rendered = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()}
    assert "casc/agents.yaml" in rendered
    for given in (out, out / "jobs"):
        ctx = assemble_context(
            ImageInputs("controller", jobs_dir=given), tmp_path / f"ctx-{given.name}"
        )
        jobs = archived(ctx)
        baked = {f"jobs/{p}" for p in jobs}
        baked |= {f"casc/{p}" for p in files(ctx / "casc" / "rendered")}
        assert baked == rendered - {".jenkinsgen-manifest"}
        for name in rendered - {".jenkinsgen-manifest"}:
            data = jobs[name[5:]] if name.startswith("jobs/") else None
            data = data or (ctx / "casc/rendered" / name[5:]).read_bytes()
            assert data == (out / name).read_bytes()
        manifest = [line.split("  ") for line in (ctx / "jobs.sha256").read_text().splitlines()]
        assert [rel for _, rel in manifest] == sorted(jobs)
        assert all(hashlib.sha256(jobs[rel]).hexdigest() == sha for sha, rel in manifest)
        again = assemble_context(ImageInputs("controller", jobs_dir=given), tmp_path / "again")
        assert (again / "jobs.tar").read_bytes() == (ctx / "jobs.tar").read_bytes()  # layer cache
        shutil.rmtree(again)


def test_what_the_start_step_could_not_handle_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "jobs" / "has space").mkdir(parents=True)
    (out / "jobs" / "has space" / "config.xml").write_text("<x/>")
    with pytest.raises(ImageError, match="only letters, digits"):
        assemble_context(ImageInputs("controller", jobs_dir=out), tmp_path / "c1")
    (out / "jobs" / "has space").rename(out / "jobs" / "fine")
    (out / "casc").mkdir()
    (out / "casc" / "notes.txt").write_text("x")
    with pytest.raises(ImageError, match=r"notes\.txt: Configuration-as-Code loads only"):
        assemble_context(ImageInputs("controller", jobs_dir=out), tmp_path / "c2")
    (out / "casc" / "notes.txt").unlink()
    (out / "casc" / "leak.yaml").symlink_to("/etc/passwd")
    with pytest.raises(ImageError, match="symbolic links"):
        assemble_context(ImageInputs("controller", jobs_dir=out), tmp_path / "c3")


def test_the_admin_password_source_is_baked_for_the_start_step(tmp_path: Path) -> None:
    config = ControllerConfig(admin_password_file="/run/secrets/admin pw")
    ctx = assemble_context(ImageInputs("controller", controller=config), tmp_path / "ctx")
    assert (ctx / "admin-password").read_text() == "file /run/secrets/admin pw\n"
    assert (ctx / "jobs.sha256").read_text() == ""
    assert files(ctx / "casc") == ["image/controller.yaml"]
