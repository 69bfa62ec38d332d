"""``jenkinsgen image build controller|agent|seed``: build (and push) images via the docker SDK."""

from __future__ import annotations

import tempfile
from pathlib import Path

import click

from jenkinsgen import __version__
from jenkinsgen.casc.controller import ControllerConfig, approvers_of
from jenkinsgen.cli.common import info, verbosity, warn
from jenkinsgen.errors import ImageError
from jenkinsgen.images import (
    ImageInputs,
    Kind,
    build_image,
    docker_client,
    plugins_from_bundle,
    push_image,
    push_reference,
    read_wheel,
    registry_auth,
)
from jenkinsgen.images.build import DEFAULT_REPOSITORY
from jenkinsgen.images.seed import seed_tag
from jenkinsgen.spec import load_spec


@click.group("image")
def image() -> None:
    """Build the controller, agent and seed images.

    \b
    Examples:
      jenkinsgen image build controller --bundle plugins.lock --jobs out -t acme/jenkins:1
      jenkinsgen image build agent -t acme/jenkins-agent:1 --push registry.example.com/acme
      jenkinsgen image build seed --wheel dist/jenkinsgen-0.1.0-py3-none-any.whl \\
        --push registry.example.com/acme
    """


@image.command("build")
@click.argument("kind", type=click.Choice(["controller", "agent", "seed"]))
@click.option(
    "--tag",
    "-t",
    help="Image tag [default: jenkinsgen/<kind>:latest; seed: jenkinsgen-seed:<version>].",
)
@click.option(
    "--base",
    help="Base image (overrides the Dockerfile's JENKINS_BASE / AGENT_BASE / SEED_BASE).",
)
@click.option(
    "--wheel",
    type=click.Path(path_type=Path, dir_okay=False),
    help="The jenkinsgen wheel of this very version, installed in the seed image (seed).",
)
@click.option(
    "--bundle",
    type=click.Path(path_type=Path),
    help="plugins.lock (downloaded and verified) or a directory of .jpi files (controller).",
)
@click.option(
    "--jobs",
    "jobs_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Output of `jenkinsgen render`: its jobs and casc are baked in (controller).",
)
@click.option("--push", "registry", help="Push to this registry, e.g. registry.example.com/acme.")
@click.option("--admin-user", default="admin", show_default=True, help="Admin user id (casc).")
@click.option(
    "--admin-password-env",
    default="JENKINS_ADMIN_PASSWORD",
    show_default=True,
    help="Variable (or /run/secrets file of that name) holding the admin password at start.",
)
@click.option("--admin-password-file", help="Read the admin password from this file at start.")
@click.option("--agent-port", type=int, default=50000, show_default=True)
@click.option("--executors", type=int, default=0, show_default=True, help="Controller executors.")
@click.option(
    "--authorization",
    type=click.Choice(["matrix", "logged-in"]),
    default="matrix",
    show_default=True,
    help="matrix: Administer for the admin only, read/build for users (approval gates hold); "
    "logged-in: every logged-in user can do anything.",
)
@click.option("--admin-group", help="Group whose members also get Overall/Administer (matrix).")
@click.option(
    "--spec",
    "spec_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="The spec: its environments' approvers can read the jobs they approve in (matrix).",
)
@click.option(
    "--approver",
    "approvers",
    multiple=True,
    help="Another user or group id that approves manual deploys (repeatable, matrix).",
)
@click.option("--url", help="Jenkins root URL (casc unclassified.location.url).")
@click.option("--no-cache", is_flag=True, help="Build without Docker's layer cache.")
@click.option(
    "--save-context",
    type=click.Path(path_type=Path, file_okay=False),
    help="Also keep the assembled build context in this (new or empty) directory.",
)
@click.pass_context
def build(
    ctx: click.Context,
    kind: str,
    tag: str | None,
    base: str | None,
    bundle: Path | None,
    jobs_dir: Path | None,
    wheel: Path | None,
    registry: str | None,
    admin_user: str,
    admin_password_env: str,
    admin_password_file: str | None,
    agent_port: int,
    executors: int,
    authorization: str,
    admin_group: str | None,
    spec_path: Path | None,
    approvers: tuple[str, ...],
    url: str | None,
    no_cache: bool,
    save_context: Path | None,
) -> None:
    """Build the KIND image (controller, agent or seed), optionally pushing it.

    \b
    Examples:
      jenkinsgen image build controller --bundle plugins.lock --jobs out -t acme/jenkins:1
      jenkinsgen image build agent --push registry.example.com/acme
      jenkinsgen image build seed --wheel dist/jenkinsgen-0.1.0-py3-none-any.whl
    The seed image carries the jenkinsgen of --wheel, which must be this version; its tag is
    always that version. Registry credentials: JENKINSGEN_REGISTRY_USERNAME /
    JENKINSGEN_REGISTRY_PASSWORD, or the Docker client's config (docker login).
    """
    image_kind: Kind = (
        "controller" if kind == "controller" else "agent" if kind == "agent" else "seed"
    )
    if image_kind != "controller" and (bundle is not None or jobs_dir is not None):
        raise ImageError("--bundle and --jobs apply to the controller image only")
    if (image_kind == "seed") != (wheel is not None):
        raise ImageError(
            "the seed image needs --wheel (a jenkinsgen wheel of this version)"
            if image_kind == "seed"
            else "--wheel applies to the seed image only"
        )
    seed_wheel = read_wheel(wheel, __version__) if wheel is not None else None
    if seed_wheel is not None:
        tag = seed_tag(tag, seed_wheel.version, DEFAULT_REPOSITORY["seed"])
    auth = registry_auth() if registry else None
    if registry is not None:  # a bad registry is reported before minutes of building
        push_reference(tag or f"{DEFAULT_REPOSITORY[image_kind]}:latest", registry)
    if image_kind != "controller" and (
        spec_path is not None or approvers or admin_group is not None
    ):
        raise ImageError("--spec, --approver and --admin-group apply to the controller image only")
    if spec_path is not None:
        approvers = (*approvers, *approvers_of(load_spec(spec_path)))
    config = ControllerConfig(
        admin_user=admin_user,
        admin_password_env=admin_password_env,
        admin_password_file=admin_password_file,
        agent_port=agent_port,
        executors=executors,
        authorization="matrix" if authorization == "matrix" else "logged-in",
        admin_group=admin_group,
        approvers=tuple(dict.fromkeys(approvers)),
        url=url,
    )
    bad = config.problems()
    if bad:
        raise ImageError("; ".join(bad))
    show = verbosity(ctx) >= 0

    def progress(line: str) -> None:
        if show:
            click.echo(line, err=True)

    with tempfile.TemporaryDirectory(prefix="jenkinsgen-bundle-") as tmp:
        plugins = plugins_from_bundle(bundle, Path(tmp)) if bundle is not None else None
        if kind == "controller":
            _check_bundle(plugins, config)
        inputs = ImageInputs(
            kind=image_kind,
            plugins_dir=plugins,
            jobs_dir=jobs_dir,
            controller=config,
            wheel=seed_wheel,
        )
        client = docker_client()
        try:
            result = build_image(
                client,
                inputs,
                tag,
                base,
                no_cache=no_cache,
                progress=progress,
                save_context=save_context,
            )
            info(ctx, f"built {result.tag} ({result.image_id})")
            if registry:
                target = push_image(client, result.tag, registry, auth=auth, progress=progress)
                info(ctx, f"pushed {target}")
        finally:
            client.close()


def _check_bundle(plugins: Path | None, config: ControllerConfig) -> None:
    """The casc only takes effect through the configuration-as-code plugin, and the
    matrix strategy only exists with matrix-auth (JCasC would stop Jenkins at start): say so
    before building."""
    names = set()
    if plugins is not None:
        names = {p.stem for p in plugins.iterdir() if p.suffix in (".jpi", ".hpi")}
    if "configuration-as-code" not in names:
        warn(
            "no configuration-as-code plugin in the bundle: the casc (admin user, security) "
            "will not be applied, and with the setup wizard off Jenkins starts unsecured"
        )
    elif config.authorization == "matrix" and "matrix-auth" not in names:
        raise ImageError(
            "--authorization matrix (the default) needs the matrix-auth plugin in --bundle "
            "(images/controller/plugins.txt has it)"
        )
    if config.authorization == "logged-in":
        warn(
            "--authorization logged-in gives every logged-in user Overall/Administer: "
            "approval gates (input submitter) do not hold"
        )


COMMANDS: list[click.Command] = [image]
