"""``jenkinsgen`` entry point: global options, command registration, error reporting.

Our own errors (JenkinsgenError) print as one clear line each and exit 1; anything else
is a bug and keeps its traceback.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

import click

from jenkinsgen import __version__
from jenkinsgen.cli.common import error, located, setup_logging
from jenkinsgen.errors import JenkinsgenError, SpecError
from jenkinsgen.redact import redact_credentials

#: Each module exposes COMMANDS, a list of click commands or groups.
COMMAND_MODULES = (
    "spec_cmds",
    "render_cmd",
    "sync_cmds",
    "bundle_cmds",
    "image_cmds",
    "agents_cmds",
    "graph_cmd",
    "release_cmds",
    "stack_cmds",
)

#: Which module defines each top-level command, so running one imports only its module (the
#: others pull in the Docker SDK, python-jenkins and requests). A test keeps it complete.
COMMAND_HOMES = {
    "validate": "spec_cmds",
    "schema": "spec_cmds",
    "render": "render_cmd",
    "diff": "sync_cmds",
    "apply": "sync_cmds",
    "bundle": "bundle_cmds",
    "image": "image_cmds",
    "agents": "agents_cmds",
    "graph": "graph_cmd",
    "release": "release_cmds",
    "init": "stack_cmds",
    "up": "stack_cmds",
    "down": "stack_cmds",
}


class _Group(click.Group):
    """Imports a command's module when the command is used; turns JenkinsgenError into one
    located line per problem and exit status 1.

    ``commands`` (all of them, e.g. for documentation tests) imports every module on first use;
    running or listing commands only imports what it needs (``--help`` needs them all).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._loaded: set[str] = set()
        super().__init__(*args, **kwargs)

    @property  # type: ignore[override]
    def commands(self) -> dict[str, click.Command]:
        for module in COMMAND_MODULES:
            self._load(module)
        return self._commands

    @commands.setter
    def commands(self, value: dict[str, click.Command]) -> None:
        self._commands = value

    def _load(self, module: str) -> None:
        if module in self._loaded:
            return
        self._loaded.add(module)
        for command in importlib.import_module(f"jenkinsgen.cli.{module}").COMMANDS:
            assert command.name is not None
            self._commands[command.name] = command

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        home = COMMAND_HOMES.get(cmd_name)
        if home is None:
            return self.commands.get(cmd_name)
        self._load(home)
        return self._commands.get(cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(COMMAND_HOMES) | set(self._commands))

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
        except click.ClickException as exc:  # bad option values are echoed: not their passwords
            setattr(exc, "message", redact_credentials(exc.message))  # noqa: B010 (typed Final)
            raise
        except KeyboardInterrupt:
            error("interrupted")
            ctx.exit(130)
        except OSError as exc:  # an OSError no command turned into its own error: output
            _detach_stdout()  # so the interpreter's last flush cannot fail again
            if not isinstance(exc, BrokenPipeError):  # `| head` closed early: not an error
                where = f"{exc.filename}: " if exc.filename else "writing the output: "
                error(where + (exc.strerror or str(exc)))
            ctx.exit(1)
        return None


def _detach_stdout() -> None:
    """Point stdout at /dev/null once it failed (nothing more can reach the reader)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # no file descriptor behind stdout (tests): nothing to do
        pass


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


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    cli.main(args=argv, prog_name="jenkinsgen")


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])
