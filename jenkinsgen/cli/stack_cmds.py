"""``jenkinsgen init DIR``, ``up DIR`` and ``down DIR``: a whole delivery stack."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource

from jenkinsgen.cli.common import info, verbosity, warn
from jenkinsgen.stack.layout import ADMIN_PASSWORD
from jenkinsgen.stack.settings import DEFAULT_PORTS, Ports

_DIR = click.argument("directory", metavar="DIR", type=click.Path(path_type=Path, file_okay=False))


def _port(name: str, default: int, help_text: str) -> Callable[[Any], Any]:
    return click.option(
        name, type=click.IntRange(1, 65535), default=default, show_default=True, help=help_text
    )


@click.command("init")
@_DIR
@click.option(
    "--bind-address",
    default="127.0.0.1",
    show_default=True,
    help="Address every server of the stack listens on (127.0.0.1: this machine only).",
)
@_port("--jenkins-port", DEFAULT_PORTS.jenkins, "Jenkins.")
@_port("--registry-port", DEFAULT_PORTS.registry, "The registry.")
@_port("--receiver-port", DEFAULT_PORTS.receiver, "The release receiver.")
@_port("--proxy-port", DEFAULT_PORTS.proxy, "HAProxy of the first environment (then +1 each).")
@_port("--slot-port", DEFAULT_PORTS.slots, "First slot port (100 per environment).")
@click.option(
    "--docker-socket",
    default="/var/run/docker.sock",
    show_default=True,
    help="The Docker engine's socket (its group goes into .env).",
)
@click.option(
    "--folder",
    default="delivery",
    show_default=True,
    help="The spec's Jenkins folder (also the registry path and the released apps' label).",
)
@click.pass_context
def init_cmd(
    ctx: click.Context,
    directory: Path,
    bind_address: str,
    jenkins_port: int,
    registry_port: int,
    receiver_port: int,
    proxy_port: int,
    slot_port: int,
    docker_socket: str,
    folder: str,
) -> None:
    """Write a working stack into DIR: spec, plugins.txt, compose.yaml, .env, secrets/.

    Never replaces a file: run again, it writes only what is missing and says so. The
    options apply to files it writes (an existing .env keeps its settings).

    \b
    Examples:
      jenkinsgen init stack && jenkinsgen up stack
      jenkinsgen init stack --jenkins-port 9080 --registry-port 5001
    """
    from jenkinsgen.stack.scaffold import InitOptions, init_stack
    from jenkinsgen.stack.settings import validate_bind_address

    ports = Ports(jenkins_port, registry_port, receiver_port, proxy_port, slot_port)
    options = InitOptions(validate_bind_address(bind_address), ports, docker_socket, folder)
    report = init_stack(directory, options)
    for rel in report.created:
        info(ctx, f"created {directory / rel}")
    for rel in report.kept:
        info(ctx, f"kept {directory / rel} (it exists)")
    for line in report.warnings:
        warn(line)
    given = [
        f"--{name.replace('_', '-')}"
        for name in ("bind_address", "jenkins_port", "registry_port", "receiver_port",
                     "docker_socket")
        if ctx.get_parameter_source(name) is ParameterSource.COMMANDLINE
    ]  # fmt: skip
    if given and ".env" in report.kept:
        warn(f"{directory / '.env'} exists: its settings apply, not {', '.join(given)}")
    if report.created:
        info(ctx, f"next: jenkinsgen up {directory}")
    else:
        info(ctx, f"{directory}: nothing missing")


@click.command("up")
@_DIR
@click.option(
    "--bundle",
    type=click.Path(path_type=Path),
    help="plugins.lock or a directory of plugin archives [default: DIR/plugins.lock, resolved "
    "from DIR/plugins.txt when missing or older].",
)
@click.option(
    "--update-center",
    metavar="FILE|URL",
    help="Update center to resolve plugins.txt with [default: updates.jenkins.io for the "
    "pinned core].",
)
@click.option(
    "--plugin-versions",
    metavar="FILE|URL",
    default="https://updates.jenkins.io/current/plugin-versions.json",
    show_default=True,
    help="Every plugin release, for the pinned versions.",
)
@click.option(
    "--wheel",
    type=click.Path(path_type=Path, dir_okay=False),
    help="The jenkinsgen wheel of this version for the seed/receiver image [default: one "
    "made from the running jenkinsgen].",
)
@click.option("--controller-base", help="Base of the controller image (a jenkins/jenkins).")
@click.option("--agent-base", help="Base of the agent image (a jenkins/inbound-agent).")
@click.option("--seed-base", help="Base of the seed (receiver) image.")
@click.option(
    "--timeout",
    type=click.FloatRange(1),
    default=300.0,
    show_default=True,
    help="Seconds to wait until every part answers.",
)
@click.option(
    "--show-admin-password", is_flag=True, help="Print the admin password at the end (once)."
)
@click.pass_context
def up_cmd(
    ctx: click.Context,
    directory: Path,
    bundle: Path | None,
    update_center: str | None,
    plugin_versions: str | None,
    wheel: Path | None,
    controller_base: str | None,
    agent_base: str | None,
    seed_base: str | None,
    timeout: float,
    show_admin_password: bool,
) -> None:
    """Build and start the stack of DIR, wait until every part answers, say where.

    Resolves and downloads the plugin bundle, builds the agent, seed (receiver) and
    controller images (jobs and casc rendered from DIR/jenkinsgen.yaml baked in), runs
    DIR/compose.yaml with `docker compose` (v2) or `docker-compose` (v1) and waits for
    Jenkins, the registry, the receiver and each HAProxy.

    \b
    Examples:
      jenkinsgen up stack
      jenkinsgen up stack --bundle plugins.lock --show-admin-password
    """
    from jenkinsgen.images import docker_client
    from jenkinsgen.stack.build import BuildOptions
    from jenkinsgen.stack.runner import detect_compose
    from jenkinsgen.stack.secrets import read_secret
    from jenkinsgen.stack.up import load_stack, up_stack

    stack = load_stack(directory)
    compose = detect_compose()
    options = BuildOptions(
        bundle=bundle,
        update_center=update_center,
        plugin_versions=plugin_versions,
        wheel=wheel,
        controller_base=controller_base,
        agent_base=agent_base,
        seed_base=seed_base,
    )
    show = verbosity(ctx) >= 0

    def progress(line: str) -> None:
        if show:
            click.echo(line, err=True)

    client = docker_client()
    try:
        result = up_stack(stack, options, compose, client, progress, timeout=timeout)
    finally:
        client.close()
    info(ctx, f"stack {stack.project} is up:")
    width = max(len(e.part) for e in result.endpoints)
    for endpoint in result.endpoints:
        info(ctx, f"  {endpoint.part:<{width}}  {endpoint.where}  ({endpoint.note})")
    if result.unfilled_credentials:
        warn(
            "add these credentials in Jenkins (the stack holds no secret for them): "
            + ", ".join(result.unfilled_credentials)
        )
    if show_admin_password:
        password = read_secret(directory / ADMIN_PASSWORD.path)
        click.echo(f"admin password: {password}")


@click.command("down")
@_DIR
@click.option(
    "--volumes",
    is_flag=True,
    help="Also remove the volumes (Jenkins home, registry, release state) and released apps.",
)
@click.pass_context
def down_cmd(ctx: click.Context, directory: Path, volumes: bool) -> None:
    """Stop the stack of DIR; its data stays unless --volumes.

    \b
    Examples:
      jenkinsgen down stack
      jenkinsgen down stack --volumes
    """
    from jenkinsgen.errors import SpecError
    from jenkinsgen.images import docker_client
    from jenkinsgen.spec import load_spec
    from jenkinsgen.stack.layout import SPEC_FILE
    from jenkinsgen.stack.runner import detect_compose
    from jenkinsgen.stack.up import down_stack, open_stack_dir, released_folder

    stack = open_stack_dir(directory)
    folder = None
    if volumes:  # the released apps carry the spec's folder; a broken spec does not stop down
        try:
            folder = released_folder(load_spec(directory / SPEC_FILE))
        except SpecError as exc:
            warn(f"{exc.problems[0]}: released apps are left running (their folder is unknown)")
    compose = detect_compose()
    show = verbosity(ctx) >= 0

    def progress(line: str) -> None:
        if show:
            click.echo(line, err=True)

    client = docker_client() if folder is not None else None
    try:
        removed = down_stack(
            stack, compose, progress, volumes=volumes, client=client, folder=folder
        )
    finally:
        if client is not None:
            client.close()
    for name in removed:
        info(ctx, f"removed the released app container {name}")
    kept = "" if volumes else " (volumes kept: `jenkinsgen up` starts it again on the same data)"
    info(ctx, f"stack {stack.project} is down{kept}")


COMMANDS: list[click.Command] = [init_cmd, up_cmd, down_cmd]
