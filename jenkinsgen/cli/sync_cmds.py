"""``jenkinsgen diff`` and ``jenkinsgen apply``: sync a spec's rendered items to Jenkins.

Credentials come from ``JENKINS_USER`` / ``JENKINS_API_TOKEN`` or a netrc-style file
(``JENKINS_NETRC``, default ``~/.netrc``), never from the command line.
"""

from __future__ import annotations

import sys

import click

from jenkinsgen.cli.common import cache_templates, emit_json, info, verbosity, warn
from jenkinsgen.errors import ApplyError, JenkinsError
from jenkinsgen.jenkins.auth import load_credentials
from jenkinsgen.jenkins.client import JenkinsClient
from jenkinsgen.render.model import Rendered
from jenkinsgen.sync.apply import Outcome, apply_changes
from jenkinsgen.sync.changes import REFUSED, ChangeSet, plan_changes
from jenkinsgen.sync.progress import Progress
from jenkinsgen.sync.report import apply_json, config_diff, diff_json, summary_line
from jenkinsgen.sync.verify import find_drift

_URL = click.option(
    "--url",
    envvar="JENKINS_URL",
    required=True,
    help="Jenkins controller URL (or JENKINS_URL).",
)
_OUTPUT = click.option(
    "--output",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="json: one JSON document on stdout, for machines.",
)
_WORKERS = click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=8,
    show_default=True,
    help="Requests in flight at once.",
)
_ADOPT = click.option(
    "--adopt",
    "adopt",
    multiple=True,
    metavar="NAME",
    help="Take over this existing item (full name) though jenkinsgen does not manage it.",
)
_ADOPT_ALL = click.option(
    "--adopt-all", is_flag=True, help="Take over every existing unmanaged item the spec names."
)


def _render(spec: str) -> Rendered:
    from jenkinsgen.render import render_spec
    from jenkinsgen.spec import load_spec

    cache_templates()
    return render_spec(load_spec(spec))


def _client(url: str, workers: int) -> JenkinsClient:
    return JenkinsClient(url, load_credentials(url), pool_size=max(10, workers))


def _changes(
    client: JenkinsClient,
    rendered: Rendered,
    adopt: tuple[str, ...],
    adopt_all: bool,
    verify: bool,
    workers: int,
) -> ChangeSet:
    names = {item.full_name for item in rendered.items}
    for name in adopt:
        if name.strip("/") not in names:
            warn(f"--adopt {name}: not an item of this spec (full names, e.g. folder/service/env)")
    # one level below the deepest item: prune must see what its folders still hold
    depth = max([12, *(len(item.path) + 1 for item in rendered.items)])
    changes = plan_changes(rendered, client.list_items(depth), adopt, adopt_all)
    if verify:
        find_drift(client, changes, workers)  # unreadable configs become "unverified" items
    return changes


def _diffs(client: JenkinsClient, changes: ChangeSet) -> dict[str, str]:
    """The config.xml diff of each update; an item whose live config cannot be read or
    parsed gets a note instead, and the other diffs are still shown."""
    diffs: dict[str, str] = {}
    for change in changes.with_action("update", "adopt", "drift"):
        try:
            diffs[change.full_name] = config_diff(change, client.get_config(change.path))
        except JenkinsError as exc:
            diffs[change.full_name] = f"(no diff: {exc})\n"
    return diffs


@click.command()
@click.argument("spec", type=click.Path(dir_okay=False))
@_URL
@click.option(
    "--verify", is_flag=True, help="Also compare each live config.xml (finds hand edits)."
)
@_ADOPT
@_ADOPT_ALL
@_WORKERS
@_OUTPUT
@click.pass_context
def diff(
    ctx: click.Context,
    spec: str,
    url: str,
    verify: bool,
    adopt: tuple[str, ...],
    adopt_all: bool,
    workers: int,
    output: str,
) -> None:
    """Show what apply would do to the controller at URL, item by item.

    Updates come with a unified diff of config.xml (live → spec). Prune candidates are
    listed whether or not apply would be given --prune. Nothing is written.

    \b
    Examples:
      jenkinsgen diff jenkinsgen.yaml --url https://jenkins.example.com
      jenkinsgen diff jenkinsgen.yaml --url http://127.0.0.1:8080 --verify --output json
    """
    rendered = _render(spec)
    client = _client(url, workers)
    changes = _changes(client, rendered, adopt, adopt_all, verify, workers)
    diffs = _diffs(client, changes)
    if output == "json":
        emit_json(diff_json(changes, diffs, client.url))
        return
    for change in changes.changes:
        reason = f"  ({change.reason})" if change.reason else ""
        click.echo(f"{change.action:>13}  {change.full_name}{reason}")
        if change.full_name in diffs:
            click.echo(diffs[change.full_name], nl=False)
    counts = ", ".join(f"{n} {a}" for a, n in sorted(changes.counts().items()))
    info(ctx, f"diff {changes.owner}: {counts or 'nothing'}")


@click.command()
@click.argument("spec", type=click.Path(dir_okay=False))
@_URL
@click.option("--prune", is_flag=True, help="Delete this spec's items that left the spec.")
@click.option("--dry-run", is_flag=True, help="Decide and report, write nothing.")
@click.option("--verify", is_flag=True, help="Compare each live config.xml; repair hand edits.")
@_ADOPT
@_ADOPT_ALL
@_WORKERS
@_OUTPUT
@click.pass_context
def apply(
    ctx: click.Context,
    spec: str,
    url: str,
    prune: bool,
    dry_run: bool,
    verify: bool,
    adopt: tuple[str, ...],
    adopt_all: bool,
    workers: int,
    output: str,
) -> None:
    """Create, update (and with --prune delete) SPEC's items on the controller at URL.

    Unchanged items are recognised from the digest in their description, read for all
    items in one query, so a repeated apply writes nothing. Items jenkinsgen does not manage
    are never overwritten without --adopt, nor pruned.

    \b
    Examples:
      JENKINS_USER=ci JENKINS_API_TOKEN=... jenkinsgen apply jenkinsgen.yaml \\
          --url https://jenkins.example.com --prune
      jenkinsgen apply jenkinsgen.yaml --url http://127.0.0.1:8080 --dry-run --verify
    """
    rendered = _render(spec)
    client = _client(url, workers)
    changes = _changes(client, rendered, adopt, adopt_all, verify, workers)
    todo = sum(
        1
        for c in changes.changes
        if c.action in ("create", "update", "adopt", "drift") or (prune and c.action == "prune")
    )
    drawn = output == "text" and verbosity(ctx) >= 0  # and then only if stderr is a terminal
    bar = Progress(0 if dry_run else todo, "apply", sys.stderr, enabled=None if drawn else False)

    def progress(outcome: Outcome) -> None:
        bar.advance(outcome.status in ("done", "noop"))  # noop: a folder found, kept

    report = apply_changes(client, changes, workers, prune, dry_run, progress)
    bar.close()
    if output == "json":
        emit_json(apply_json(report, client.url, client.requests_made))
    else:
        info(ctx, summary_line(report, client.requests_made))
    if report.interrupted:
        for o in report.failures:
            click.echo(f"error: {o.error}", err=True)
        click.echo("error: interrupted; every item is either old or new; run apply again", err=True)
        ctx.exit(130)
    if report.failures:
        raise ApplyError("\n".join(_failure_line(o) for o in report.failures))


def _failure_line(outcome: Outcome) -> str:
    if outcome.change.action in REFUSED:
        return f"{outcome.change.full_name}: {outcome.error}"
    return outcome.error


COMMANDS: list[click.Command] = [diff, apply]

__all__ = ["COMMANDS"]
