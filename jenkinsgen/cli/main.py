"""``jenkinsgen`` entry point: global options, command registration, error reporting.

Our own errors (JenkinsgenError) print as one clear line each and exit 1; anything else
is a bug and keeps its traceback.
"""

from __future__ import annotations

import importlib
import sys

import click

from jenkinsgen import __version__
from jenkinsgen.cli.common import error, located, setup_logging
from jenkinsgen.errors import JenkinsgenError, SpecError

#: Each module exposes COMMANDS, a list of click commands or groups.
COMMAND_MODULES = (
    "spec_cmds",
    "render_cmd",
    "sync_cmds",
    "bundle_cmds",
    "image_cmds",
    "agents_cmds",
)


class _Group(click.Group):
    """Turns JenkinsgenError into one located line per problem and exit status 1."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except SpecError as exc:
            for problem in exc.problems:
                located(str(problem))
            n = len(exc.problems)
            click.echo(f"{n} problem{'s' if n != 1 else ''} found", err=True)
            ctx.exit(1)
        except JenkinsgenError as exc:
            for line in str(exc).splitlines() or [type(exc).__name__]:
                error(line)
            ctx.exit(1)
        except KeyboardInterrupt:
            error("interrupted")
            ctx.exit(130)
        return None


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="jenkinsgen")
@click.option("-q", "--quiet", "quiet", count=True, help="Print errors only.")
@click.option("-v", "--verbose", "verbose", count=True, help="Print more detail (debug).")
@click.pass_context
def cli(ctx: click.Context, quiet: int, verbose: int) -> None:
    """jenkinsgen: a complete Docker delivery system on Jenkins from one YAML file.

    \b
    Examples:
      jenkinsgen validate jenkinsgen.yaml
      jenkinsgen render jenkinsgen.yaml -o out
      jenkinsgen apply jenkinsgen.yaml --url https://jenkins.example.com --prune
    """
    ctx.ensure_object(dict)
    ctx.obj["verbosity"] = verbose - quiet
    setup_logging(verbose - quiet)


for _name in COMMAND_MODULES:
    _module = importlib.import_module(f"jenkinsgen.cli.{_name}")
    for _command in _module.COMMANDS:
        cli.add_command(_command)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    cli.main(args=argv, prog_name="jenkinsgen")


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])
