"""``jenkinsgen agents up|status|down``: Docker-socket agents for a Jenkins controller."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager

import click

from jenkinsgen.agents import (
    STRATEGIES,
    AgentSettings,
    Engine,
    UpOptions,
    connect,
    controller_id,
    down,
    format_table,
    parse_host,
    status,
    up,
    wait_online,
)
from jenkinsgen.agents.hosts import DEFAULT_HOST
from jenkinsgen.agents.provision import Action
from jenkinsgen.cli.common import emit_json, info
from jenkinsgen.errors import AgentError
from jenkinsgen.jenkins.auth import load_credentials
from jenkinsgen.jenkins.client import JenkinsClient
from jenkinsgen.jenkins.urls import ControllerUrlError, parse_controller_url
from jenkinsgen.spec.agents import IMAGE

DEFAULT_IMAGE = "jenkinsgen/agent:latest"
_LABEL = re.compile(r"[A-Za-z0-9._-]+")
_POOL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,40}")
_IMAGE = re.compile(IMAGE)
_PAST = {
    "create": "created",
    "start": "started",
    "restart": "restarted",
    "recreate": "recreated",
    "repair": "repaired",
    "remove": "removed",
    "dedupe": "deduplicated",
}

_url = click.option(
    "--url", envvar="JENKINS_URL", required=True, help="Jenkins controller URL (or JENKINS_URL)."
)
_hosts = click.option(
    "--docker-host",
    "docker_hosts",
    multiple=True,
    metavar="URL",
    help="Docker host (unix://, tcp://[?certs=DIR], ssh://); repeat for several. "
    "Default: $DOCKER_HOST or unix:///var/run/docker.sock.",
)
_pool = click.option("--pool", default=None, help="Only this pool (default: every pool).")


def _check_url(option: str, value: str) -> str:
    """An http(s) URL with a host, no whitespace or control characters, no credentials."""
    try:
        parse_controller_url(value)
    except ControllerUrlError as exc:
        if exc.kind == "credentials":
            raise AgentError(f"{option}: {exc.reason}") from None
        raise AgentError(
            f"{option} {value!r}: use an http:// or https:// URL with a host"
        ) from None
    return value


@contextmanager
def _connected(url: str, hosts: tuple[str, ...]) -> Iterator[tuple[JenkinsClient, list[Engine]]]:
    _check_url("--url", url)
    specs = hosts or (os.environ.get("DOCKER_HOST") or DEFAULT_HOST,)
    parsed = [parse_host(h) for h in dict.fromkeys(specs)]
    engines: list[Engine] = []
    try:
        for host in parsed:
            engines.append(Engine(host, connect(host)))
        yield JenkinsClient(url, load_credentials(url)), engines
    finally:
        for e in engines:
            e.client.close()


@click.group("agents")
def agents() -> None:
    """Docker-socket agents: create, inspect and remove them through the Jenkins API.

    \b
    Examples:
      jenkinsgen agents up --url http://127.0.0.1:8080 --count 3 --label docker --wait
      jenkinsgen agents status --url http://127.0.0.1:8080 --output json
      jenkinsgen agents down --url http://127.0.0.1:8080 --all
    """


@agents.command("up")
@_url
@click.option("--count", type=click.IntRange(0, 500), required=True, help="Agents wanted.")
@click.option("--label", required=True, help="Jenkins label(s) of the agents, space-separated.")
@click.option("--executors", type=click.IntRange(1, 64), default=1, show_default=True)
@click.option("--image", default=DEFAULT_IMAGE, show_default=True, help="Agent image.")
@_hosts
@click.option("--websocket", is_flag=True, help="Agents connect over WebSocket.")
@click.option("--wait", "wait", is_flag=True, help="Block until Jenkins reports them online.")
@click.option(
    "--timeout",
    type=click.FloatRange(1),
    default=300,
    show_default=True,
    help="Seconds --wait waits.",
)
@click.option(
    "--placement",
    type=click.Choice(STRATEGIES),
    default="round-robin",
    show_default=True,
    help="How agents are spread over the Docker hosts.",
)
@click.option(
    "--parallel",
    type=click.IntRange(1, 64),
    default=4,
    show_default=True,
    help="Agents provisioned at once.",
)
@click.option(
    "--pool",
    default=None,
    help="Pool name; agents are named POOL-1, POOL-2... (default: LABEL-agent).",
)
@click.option(
    "--agent-url", default=None, help="URL the agents connect to, when it differs from --url."
)
@click.pass_context
def up_cmd(
    ctx: click.Context,
    url: str,
    count: int,
    label: str,
    executors: int,
    image: str,
    docker_hosts: tuple[str, ...],
    websocket: bool,
    wait: bool,
    timeout: float,
    placement: str,
    parallel: int,
    pool: str | None,
    agent_url: str | None,
) -> None:
    """Converge to exactly COUNT agents: create, repair, restart, remove extras.

    Each agent is a Jenkins node (inbound launcher) and a container from IMAGE with the
    host's /var/run/docker.sock mounted; its secret travels only as a file inside the
    container, readable by the agent user alone (mode 0400), never in its environment,
    arguments or labels. Only nodes and containers jenkinsgen created are ever touched.

    \b
    Examples:
      jenkinsgen agents up --url http://127.0.0.1:8080 --count 3 --label docker
      jenkinsgen agents up --url https://ci.example.com --count 8 --label docker \\
          --docker-host unix:///var/run/docker.sock \\
          --docker-host 'tcp://build-2.example.com:2376?certs=/etc/jenkinsgen/build-2' \\
          --placement capacity --wait --timeout 120
    """
    labels = label.split()
    if not labels or not all(_LABEL.fullmatch(lab) for lab in labels):
        raise AgentError(f"--label {label!r}: use labels of letters, digits, '.', '_', '-'")
    if not _IMAGE.fullmatch(image):
        raise AgentError(f"--image {image!r}: not an image reference (such as acme/agent:1)")
    if agent_url is not None:
        _check_url("--agent-url", agent_url)
    pool = pool or f"{labels[0]}-agent"
    if not _POOL.fullmatch(pool):
        raise AgentError(f"--pool {pool!r}: use letters, digits, '.', '_', '-' (at most 41)")
    settings = AgentSettings(
        image=image,
        jenkins_url=agent_url or url,
        controller=controller_id(url),
        pool=pool,
        websocket=websocket,
    )
    options = UpOptions(
        count=count,
        labels=" ".join(labels),
        pool=pool,
        settings=settings,
        executors=executors,
        strategy="capacity" if placement == "capacity" else "round-robin",
        parallel=parallel,
    )

    def progress(action: Action) -> None:
        if action.kind != "ok" and action.error is None:
            where = f" on {action.host.host}" if action.host is not None else ""
            info(ctx, f"{_PAST[action.kind]} {action.agent}{where}")

    with _connected(url, docker_hosts) as (client, engines):
        report = up(client, engines, options, progress)
        if report.failed:
            raise AgentError(
                "\n".join(f"{a.agent}: {a.kind} failed: {a.error}" for a in report.failed)
            )
        kept = sorted(a.agent for a in report.actions if a.kind not in ("remove", "dedupe"))
        info(ctx, f"{pool}: {len(kept)} agent(s), {len(report.changed)} change(s)")
        if wait and kept:

            def shown(ready: int, total: int) -> None:
                info(ctx, f"waiting: {ready}/{total} online")

            wait_online(client, engines, settings.controller, kept, timeout=timeout, progress=shown)
            info(ctx, f"{pool}: all {len(kept)} agent(s) online")


@agents.command("status")
@_url
@_hosts
@_pool
@click.option("--output", type=click.Choice(["table", "json"]), default="table", show_default=True)
def status_cmd(url: str, docker_hosts: tuple[str, ...], pool: str | None, output: str) -> None:
    """Show every agent jenkinsgen created: node, host, container, online, idle or busy.

    \b
    Examples:
      jenkinsgen agents status --url http://127.0.0.1:8080
      jenkinsgen agents status --url http://127.0.0.1:8080 --output json
    """
    with _connected(url, docker_hosts) as (client, engines):
        rows = status(client, engines, controller_id(url), pool)
    if output == "json":
        emit_json([r.as_dict() for r in rows])
    else:
        click.echo(format_table(rows))


@agents.command("down")
@_url
@_hosts
@_pool
@click.option("--all", "everything", is_flag=True, help="Every agent jenkinsgen created.")
@click.argument("names", nargs=-1)
@click.pass_context
def down_cmd(
    ctx: click.Context,
    url: str,
    docker_hosts: tuple[str, ...],
    pool: str | None,
    everything: bool,
    names: tuple[str, ...],
) -> None:
    """Remove agents (containers, then nodes); never one jenkinsgen did not create.

    \b
    Examples:
      jenkinsgen agents down --url http://127.0.0.1:8080 docker-agent-3
      jenkinsgen agents down --url http://127.0.0.1:8080 --all
    """
    with _connected(url, docker_hosts) as (client, engines):
        removed = down(client, engines, controller_id(url), names, everything=everything, pool=pool)
    for name in removed:
        info(ctx, f"removed {name}")
    info(ctx, f"{len(removed)} agent(s) removed")


COMMANDS: list[click.Command] = [agents]
