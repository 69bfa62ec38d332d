"""The CLI imports a command's module only when that command runs; the map that makes this
possible must name every command of every module, and ``--help`` must still list them all."""

from __future__ import annotations

import importlib
import subprocess
import sys

from click.testing import CliRunner

from jenkinsgen.cli import main


def test_command_homes_name_every_command_and_only_those() -> None:
    found = {}
    for module in main.COMMAND_MODULES:
        for command in importlib.import_module(f"jenkinsgen.cli.{module}").COMMANDS:
            found[command.name] = module
    assert found == main.COMMAND_HOMES


def test_help_lists_every_command_with_its_short_help() -> None:
    result = CliRunner().invoke(main.cli, ["--help"])
    assert result.exit_code == 0
    listed = result.output.split("Commands:", 1)[1]
    for name, module in main.COMMAND_HOMES.items():
        command = next(
            c
            for c in importlib.import_module(f"jenkinsgen.cli.{module}").COMMANDS
            if c.name == name
        )
        line = next(line for line in listed.splitlines() if line.split()[:1] == [name])
        assert command.get_short_help_str(limit=45)[:20] in line


def test_render_does_not_import_the_other_commands() -> None:
    code = (
        "import sys\n"
        "from jenkinsgen.cli.main import cli\n"
        "cli.main(['render', '--help'], standalone_mode=False)\n"
        "print(sorted(m for m in sys.modules if m.startswith(('docker', 'jenkins.', 'requests'))"
        " or m in ('docker', 'jenkins', 'requests')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_unknown_command_is_a_usage_error() -> None:
    result = CliRunner().invoke(main.cli, ["no-such-command"])
    assert result.exit_code == 2
    assert "No such command" in result.output
