"""The README's spec reference and the shipped schema file are generated, never stale;
every CLI command is documented in the README."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from jenkinsgen.cli.main import cli
from jenkinsgen.cli.reference import cli_help_markdown, cli_table_markdown
from jenkinsgen.docgen import read_section
from jenkinsgen.spec import json_schema_text
from jenkinsgen.spec.reference import spec_reference_markdown

ROOT = Path(__file__).resolve().parent.parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
BEGIN = "<!-- spec-reference:begin (generated: python -m jenkinsgen.spec.reference) -->"
END = "<!-- spec-reference:end -->"


def test_readme_spec_reference_is_current() -> None:
    start = README.index(BEGIN) + len(BEGIN)
    stop = README.index(END)
    assert README[start:stop].strip() == spec_reference_markdown().strip(), (
        "README spec reference is stale: run `python -m jenkinsgen.spec.reference --write`"
    )


def test_shipped_schema_file_is_current() -> None:
    assert (ROOT / "docs" / "spec-v1.schema.json").read_text(encoding="utf-8") == (
        json_schema_text()
    )


def _commands(group: object, prefix: str = "jenkinsgen") -> list[str]:
    names = []
    for name, command in sorted(getattr(group, "commands", {}).items()):
        full = f"{prefix} {name}"
        names.append(full)
        names += _commands(command, full)
    return names


def test_every_command_is_documented_and_has_help_with_examples() -> None:
    runner = CliRunner()
    for full in _commands(cli):
        assert f"`{full}" in README, f"{full} is missing from the README CLI reference"
        result = runner.invoke(cli, [*full.split()[1:], "--help"])
        assert result.exit_code == 0, full
        assert "Usage:" in result.output
        assert "Example" in result.output, f"{full} --help shows no example"


def test_version_and_help() -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["--version"])
    assert result.exit_code == 0 and result.output.startswith("jenkinsgen, version ")
    result = runner.invoke(cli, ["--help"])
    assert "Examples:" in result.output


def test_readme_cli_table_is_generated_from_the_commands() -> None:
    assert read_section(ROOT / "README.md", "cli-reference") == cli_table_markdown().strip(), (
        "README CLI table is stale: run `make docs`"
    )


def test_docs_cli_page_is_every_commands_help() -> None:
    assert read_section(ROOT / "docs" / "cli.md", "cli-help") == cli_help_markdown().strip(), (
        "docs/cli.md is stale: run `make docs`"
    )
