"""``jenkinsgen render``: write a spec's Jenkins job tree to a directory, or check it is current."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import click

from jenkinsgen.cli.common import cache_templates, info
from jenkinsgen.plan import plan
from jenkinsgen.render import render_plan
from jenkinsgen.render.model import Rendered
from jenkinsgen.render.output import check_tree, render_plan_into
from jenkinsgen.spec import load_spec

#: How many paths of each kind ``--check`` lists before it only counts them.
_SHOWN = 20

#: Below this many jobs a second process costs more than it saves.
PARALLEL_MIN_JOBS = 1500
#: The most processes the command starts on its own (``--workers`` may ask for more).
MAX_DEFAULT_WORKERS = 8
#: Read when ``--workers`` is not given.
WORKERS_ENV = "JENKINSGEN_WORKERS"


def default_workers(jobs: int) -> int:
    """How many processes ``render`` uses for ``jobs`` jobs when ``--workers`` is not given:
    one below :data:`PARALLEL_MIN_JOBS`; then one per CPU available to this process, at most
    :data:`MAX_DEFAULT_WORKERS` and one per 500 jobs. (On a machine already busy with other
    work, ``--workers 1`` can be faster: bench/RESULTS.md, Render.)"""
    if jobs < PARALLEL_MIN_JOBS:
        return 1
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, MAX_DEFAULT_WORKERS, jobs // 500))


def _items_summary(rendered: Rendered | Iterable[str]) -> str:
    kinds = (item.kind for item in rendered.items) if isinstance(rendered, Rendered) else rendered
    counts: Counter[str] = Counter(kinds)
    parts = []
    for kind, label in (
        ("folder", "folder"),
        ("pipeline", "pipeline job"),
        ("multibranch", "multibranch project"),
        ("scan", "scan job"),
        ("seed", "seed job"),
    ):
        n = counts.get(kind, 0)
        if n:
            parts.append(f"{n} {label}{'s' if n != 1 else ''}")
    return ", ".join(parts)


def _list(title: str, paths: tuple[str, ...]) -> None:
    for rel in paths[:_SHOWN]:
        click.echo(f"  {title} {rel}")
    if len(paths) > _SHOWN:
        click.echo(f"  ... and {len(paths) - _SHOWN} more {title.strip()}")


@click.command()
@click.argument("spec", type=click.Path(dir_okay=False))
@click.option(
    "-o",
    "--out",
    "out",
    required=True,
    type=click.Path(file_okay=False),
    help="Output directory (mirrors JENKINS_HOME's jobs/ tree).",
)
@click.option(
    "--check",
    is_flag=True,
    help="Render in memory and compare with OUT; exit 1 when OUT is out of date.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    envvar=WORKERS_ENV,
    show_envvar=True,
    metavar="N",
    help=f"Processes that render and write (1: never fork). Default: one per CPU, at most "
    f"{MAX_DEFAULT_WORKERS}, from {PARALLEL_MIN_JOBS:,} jobs on; one process below.",
)
@click.pass_context
def render(ctx: click.Context, spec: str, out: str, check: bool, workers: int | None) -> None:
    """Render SPEC's jobs (config.xml and Jenkinsfile) into OUT.

    OUT is replaced atomically: a failed render leaves it as it was, and files of a previous
    render that are no longer produced are removed. OUT must be new, empty, or a previous
    jenkinsgen output.

    \b
    Examples:
      jenkinsgen render jenkinsgen.yaml -o out
      jenkinsgen render jenkinsgen.yaml -o out --check   # in CI: fail when out/ is stale
    """
    cache_templates()
    planned = plan(load_spec(spec))
    if workers is None:
        workers = default_workers(len(planned.jobs))
    if check:
        rendered = render_plan(planned, workers)
        what = _items_summary(rendered)
        diff = check_tree(rendered, Path(out))
        if diff.current:
            info(ctx, f"{out}: up to date ({what})")
            return
        _list("added  ", diff.added)
        _list("changed", diff.changed)
        _list("removed", diff.removed)
        click.echo(f"{out}: out of date: {diff.summary()}; run: jenkinsgen render {spec} -o {out}")
        ctx.exit(1)
    # Rendered straight into OUT (each worker process writes what it renders): the same tree
    # as write_tree(render_spec(...)), without the whole render held in one process.
    result = render_plan_into(planned, Path(out), workers)
    stale = f", {len(result.removed)} stale removed" if result.removed else ""
    info(ctx, f"rendered {_items_summary(result.kinds)} into {out} ({result.files} files{stale})")


COMMANDS: list[click.Command] = [render]
