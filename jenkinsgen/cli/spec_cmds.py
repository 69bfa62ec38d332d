"""``validate``, ``schema`` and ``render``: the spec → files side of jenkinsgen."""

from __future__ import annotations

import click

from jenkinsgen.cli.common import info
from jenkinsgen.errors import SpecError
from jenkinsgen.plan import plan
from jenkinsgen.spec import json_schema_text, load_spec


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


@click.command()
@click.argument("specs", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.pass_context
def validate(ctx: click.Context, specs: tuple[str, ...]) -> None:
    """Check one or more specs; report every problem as FILE:LINE:COL.

    \b
    Examples:
      jenkinsgen validate jenkinsgen.yaml
      jenkinsgen validate teams/*.yaml
    """
    problems = []
    for path in specs:
        try:
            spec = load_spec(path)
        except SpecError as exc:
            problems.extend(exc.problems)
            continue
        jobs = len(plan(spec).jobs)  # the seed job counts too: render writes it
        counts = ", ".join(
            _count(n, word)
            for n, word in (
                (len(spec.services), "service"),
                (len(spec.environments), "environment"),
                (jobs, "job"),
            )
        )
        info(ctx, f"{path}: valid ({counts}, layout {spec.layout})")
    if problems:
        raise SpecError(problems)


@click.command()
def schema() -> None:
    """Print the JSON Schema of spec version 1 (for editors and linters).

    \b
    Example:
      jenkinsgen schema > jenkinsgen.schema.json
      # then in the spec: # yaml-language-server: $schema=jenkinsgen.schema.json
    """
    click.echo(json_schema_text(), nl=False)


COMMANDS: list[click.Command] = [validate, schema]
