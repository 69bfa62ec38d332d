"""Shared CLI plumbing: verbosity, coloured messages (only on a terminal), JSON output.

Every error, warning and log line goes through :func:`jenkinsgen.redact.redact_credentials`:
a URL given with a password is refused and never echoed with it."""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

import click

from jenkinsgen.redact import redact_credentials

log = logging.getLogger("jenkinsgen")


class _RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact_credentials(super().format(record))


def setup_logging(verbosity: int) -> None:
    """-q → errors only, default → warnings and info summaries, -v → debug."""
    level = {-1: logging.ERROR, 0: logging.INFO, 1: logging.DEBUG}.get(
        max(-1, min(1, verbosity)), logging.INFO
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_RedactingFormatter("%(message)s"))
    root = logging.getLogger("jenkinsgen")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


def error(message: str) -> None:
    """Print an error line on stderr, red only when stderr is a terminal."""
    click.echo(
        click.style("error: ", fg="red", bold=True) + redact_credentials(message),
        err=True,
        color=sys.stderr.isatty(),
    )


def located(line: str) -> None:
    """Print a ``FILE:LINE:COL: path: message`` line on stderr, location in bold red on a
    terminal, plain otherwise (so editors and CI can parse it)."""
    where, sep, rest = redact_credentials(line).partition(": ")
    click.echo(
        click.style(where + sep, fg="red", bold=True) + rest, err=True, color=sys.stderr.isatty()
    )


def warn(message: str) -> None:
    click.echo(
        click.style("warning: ", fg="yellow", bold=True) + redact_credentials(message),
        err=True,
        color=sys.stderr.isatty(),
    )


def info(ctx: click.Context | None, message: str) -> None:
    """A summary line on stdout unless -q."""
    quiet = bool(ctx and ctx.find_root().obj and ctx.find_root().obj.get("verbosity", 0) < 0)
    if not quiet:
        click.echo(message)


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=True))


def verbosity(ctx: click.Context) -> int:
    obj = ctx.find_root().obj or {}
    return int(obj.get("verbosity", 0))


def cache_templates() -> None:
    """Keep the job templates' compiled code for later runs in ``$XDG_CACHE_HOME/jenkinsgen``
    (default ``~/.cache/jenkinsgen``): a run then loads it instead of compiling the templates
    (docs/render.md). Nothing is kept where that directory cannot be made or is not safe."""
    from jenkinsgen.render.templates import cache_templates as keep

    base = os.environ.get("XDG_CACHE_HOME", "")
    try:
        root = Path(base) if os.path.isabs(base) else Path.home() / ".cache"
    except RuntimeError:  # no home directory to put it in
        return
    keep(root / "jenkinsgen" / "templates")
