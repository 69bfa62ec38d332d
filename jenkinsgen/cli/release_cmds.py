"""``jenkinsgen release``: blue-green releases through HAProxy, and the deploy-trigger
receiver (``serve``) that runs them for Jenkins."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import stat
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import click

from jenkinsgen.cli.common import emit_json, info, warn
from jenkinsgen.errors import ReleaseError
from jenkinsgen.release import (
    Hooks,
    Receiver,
    ReceiverServer,
    ReleaseRecord,
    Site,
    confirm,
    connect_engine,
    deploy,
    format_status,
    gather_status,
    render_proxy_config,
    rollback,
    write_proxy_config,
)
from jenkinsgen.spec import Spec, load_spec

log = logging.getLogger("jenkinsgen.release")

_spec = click.argument("spec", type=click.Path(dir_okay=False))
_env = click.option("--env", "environment", required=True, help="Environment (with release).")
_service = click.option("--service", required=True, help="Service name.")
_output = click.option(
    "--output", type=click.Choice(["text", "json"]), default="text", show_default=True
)


def _progress(name: str, message: str) -> None:
    log.info("%s", message)


@contextlib.contextmanager
def _site(spec: Spec, environment: str, *, need_docker: bool = True) -> Iterator[Site]:
    """A Site for ``environment`` with its Docker engine (closed afterwards)."""
    probe = Site(spec, environment, None)  # checks the environment before connecting
    client = None
    try:
        client = connect_engine(probe.release)
    except ReleaseError:
        if need_docker:
            raise
    try:
        yield Site(spec, environment, client, hooks=Hooks(step=_progress))
    finally:
        if client is not None:
            client.close()


def _report(ctx: click.Context, site: Site, record: ReleaseRecord, output: str) -> None:
    status = site.store.effective_status(record)
    if output == "json":
        emit_json({**record.to_json(), "status": status, "stored_status": record.status})
        return
    where = f"{record.service} in {site.environment}"
    info(ctx, f"{where}: release {record.id} {status}: {record.message}")
    if status == "awaiting-confirm":
        base = f"jenkinsgen release {{}} {site.spec.source} --env {site.environment} "
        base += f"--service {record.service}"
        info(ctx, f"  confirm:  {base.format('confirm')}")
        info(ctx, f"  rollback: {base.format('rollback')}")


@click.group("release")
def release() -> None:
    """Blue-green releases through HAProxy: deploy, confirm, roll back, and the receiver
    of the pipeline's deploy trigger.

    \b
    Examples:
      jenkinsgen release proxy-config jenkinsgen.yaml --env prod
      jenkinsgen release deploy jenkinsgen.yaml --env prod --service orders \\
          --image registry.example.com/acme/orders:4f2a9c1
      jenkinsgen release confirm jenkinsgen.yaml --env prod --service orders
      jenkinsgen release serve jenkinsgen.yaml --listen 127.0.0.1:8481 \\
          --token-file /etc/jenkinsgen/deploy-token
    """


@release.command("proxy-config")
@_spec
@_env
@click.option(
    "-o",
    "--output-file",
    "output_file",
    default=None,
    help="Write here instead of release.proxy.config ('-': standard output).",
)
@click.pass_context
def proxy_config_cmd(
    ctx: click.Context, spec: str, environment: str, output_file: str | None
) -> None:
    """Write the HAProxy 2.6 configuration of ENV, as the release state stands.

    One frontend on release.proxy.listen routing by Host header, one backend per service
    with its two slots health-checked on run.health, each weighted as the state says, and
    the runtime API socket at release.proxy.admin_socket. HAProxy started or restarted
    from it routes exactly as before. New services get their two slot ports here.

    \b
    Examples:
      jenkinsgen release proxy-config jenkinsgen.yaml --env prod
      jenkinsgen release proxy-config jenkinsgen.yaml --env prod -o - | haproxy -c -f /dev/stdin
    """
    loaded = load_spec(spec)
    with _site(loaded, environment) as site:
        text = render_proxy_config(loaded, environment, site.states(), loaded.source)
        target = output_file or site.release.proxy.config
        if target == "-":
            click.echo(text, nl=False)
            return
        with site.store.config_lock():
            write_proxy_config(target, text)
    info(ctx, f"{target}: HAProxy configuration of {environment} written")


@release.command("deploy")
@_spec
@_env
@_service
@click.option("--image", required=True, help="Image reference to release (pulled if absent).")
@_output
@click.pass_context
def deploy_cmd(
    ctx: click.Context, spec: str, environment: str, service: str, image: str, output: str
) -> None:
    """Start IMAGE in the idle slot, wait until healthy, move all traffic to it.

    Not healthy within run.health_timeout: the new container is removed, the live version
    untouched, exit 1. Then confirm: auto confirms at once; manual leaves the old version
    at weight 0 until `release confirm` or `release rollback`. Deploying the same image
    again after an interruption finishes or redoes it.

    \b
    Example:
      jenkinsgen release deploy jenkinsgen.yaml --env prod --service orders \\
          --image registry.example.com/acme/orders:4f2a9c1
    """
    with _site(load_spec(spec), environment) as site:
        _report(ctx, site, deploy(site, service, image), output)


@release.command("confirm")
@_spec
@_env
@_service
@_output
@click.pass_context
def confirm_cmd(ctx: click.Context, spec: str, environment: str, service: str, output: str) -> None:
    """Drain the old slot (its sessions reach 0, at most release.drain_timeout) and remove it.

    \b
    Example:
      jenkinsgen release confirm jenkinsgen.yaml --env prod --service orders
    """
    with _site(load_spec(spec), environment) as site:
        _report(ctx, site, confirm(site, service), output)


@release.command("rollback")
@_spec
@_env
@_service
@_output
@click.pass_context
def rollback_cmd(
    ctx: click.Context, spec: str, environment: str, service: str, output: str
) -> None:
    """Move traffic back to the previous version, drain and remove the new one.

    Also the way out of any interrupted deploy, confirm or rollback: the version that
    served before is brought back (started again from its image if its container is gone).

    \b
    Example:
      jenkinsgen release rollback jenkinsgen.yaml --env prod --service orders
    """
    with _site(load_spec(spec), environment) as site:
        _report(ctx, site, rollback(site, service), output)


@release.command("status")
@_spec
@click.option("--env", "environments", multiple=True, help="Only this environment (repeat).")
@_output
@click.pass_context
def status_cmd(ctx: click.Context, spec: str, environments: tuple[str, ...], output: str) -> None:
    """Per service: live image and slot, standby, HAProxy's weights and checks, container
    states, what awaits confirm. Differences between the state, the containers and HAProxy
    are listed as problems; the exit status is 1 when there is any.

    \b
    Examples:
      jenkinsgen release status jenkinsgen.yaml
      jenkinsgen release status jenkinsgen.yaml --env prod --output json
    """
    loaded = load_spec(spec)
    names = list(environments) or [e.name for e in loaded.environments if e.release]
    if not names:
        raise ReleaseError(f"{loaded.source}: no environment has a release block")
    report: dict[str, Any] = {}
    problems = 0
    texts = []
    for name in names:
        with _site(loaded, name, need_docker=False) as site:
            statuses, env_problems = gather_status(site)
        if site.docker is None:
            env_problems.insert(0, f"Docker engine {site.release.docker_host} not reachable")
        problems += len(env_problems) + sum(len(s.problems) for s in statuses)
        report[name] = {
            "problems": env_problems,
            "services": [s.to_json() for s in statuses],
        }
        texts.append(format_status(statuses, env_problems))
    if output == "json":
        emit_json({"environments": report})
    else:
        click.echo("\n".join(texts))
    if problems:
        ctx.exit(1)


def _listen(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise ReleaseError(f"--listen {value!r}: use HOST:PORT such as 127.0.0.1:8481")
    return host.strip("[]") or "0.0.0.0", int(port)


def _read_token(path: str) -> str:
    try:
        st = os.stat(path)
        token = Path(path).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise ReleaseError(f"--token-file {path}: cannot read it ({exc})") from None
    if not token or any(ch.isspace() for ch in token):
        raise ReleaseError(f"--token-file {path}: must hold one token (no spaces), not empty")
    if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        warn(f"--token-file {path} is readable by other users; chmod 600 it")
    return token


@release.command("serve")
@_spec
@click.option("--listen", required=True, help="HOST:PORT to listen on, e.g. 127.0.0.1:8481.")
@click.option(
    "--token-file",
    required=True,
    type=click.Path(dir_okay=False),
    help="File holding the bearer token the pipeline sends (trigger.credentials).",
)
@click.option(
    "--env",
    "environments",
    multiple=True,
    help="Serve only this environment (repeat; default: all with a release block).",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=8,
    show_default=True,
    help="Releases run at once (different services).",
)
@click.pass_context
def serve_cmd(
    ctx: click.Context,
    spec: str,
    listen: str,
    token_file: str,
    environments: tuple[str, ...],
    workers: int,
) -> None:
    """Receive the pipeline's deploy trigger and run releases.

    POST on the path of a service's trigger.webhook with `Authorization: Bearer TOKEN`
    and {"image", "environment"} deploys in the background (202 with the release id and
    status URL); GET /releases/ID; POST /releases/ID/confirm and /rollback. A wrong token
    is 401; the token is never logged. Plain HTTP: put TLS in front of it (the webhook's
    https:// side) when it is reached over a network. SIGTERM or Ctrl-C stops accepting and
    lets running releases finish.

    \b
    Example:
      jenkinsgen release serve jenkinsgen.yaml --listen 127.0.0.1:8481 \\
          --token-file /etc/jenkinsgen/deploy-token --env prod
    """
    loaded = load_spec(spec)
    host, port = _listen(listen)
    token = _read_token(token_file)
    names = list(environments) or [e.name for e in loaded.environments if e.release]
    if not names:
        raise ReleaseError(f"{loaded.source}: no environment has a release block")
    sites: dict[str, Site] = {}
    with contextlib.ExitStack() as stack:
        for name in names:
            site = stack.enter_context(_site(loaded, name))
            sites[name] = site
        executor = stack.enter_context(ThreadPoolExecutor(workers, "release"))
        receiver = Receiver(sites, token, executor.submit)
        try:
            server = ReceiverServer((host, port), receiver)
        except OSError as exc:
            raise ReleaseError(f"--listen {listen}: {exc.strerror}") from None
        stack.callback(server.server_close)

        def stop(signum: int, frame: Any) -> None:
            log.info("stopping: no new requests; running releases finish")
            threading.Thread(target=server.shutdown, daemon=True).start()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        info(ctx, f"receiver listening on http://{listen} (environments: {', '.join(names)})")
        sys.stdout.flush()
        server.serve_forever(poll_interval=0.2)
    info(ctx, "receiver stopped")


COMMANDS: list[click.Command] = [release]
