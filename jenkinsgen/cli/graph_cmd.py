"""``graph``: draw a spec's delivery flow with Graphviz."""

from __future__ import annotations

import click

from jenkinsgen.cli.common import info
from jenkinsgen.graph import write_graph
from jenkinsgen.spec import load_spec


@click.command()
@click.argument("spec", type=click.Path(dir_okay=False))
@click.option(
    "-o",
    "--output",
    "output",
    required=True,
    metavar="FILE",
    help="Picture to write: .svg or .png (drawn by Graphviz' dot), or .dot (the graph's text).",
)
@click.pass_context
def graph(ctx: click.Context, spec: str, output: str) -> None:
    """Draw SPEC's delivery flow: stages, branch → environment, gates, release targets.

    Each service's stages (Build, Test, Image and Deploy trigger per environment), which Git
    branch deploys to which environment, the manual gates with their approvers, and where each
    deploy lands (release target or webhook). The file is replaced atomically.

    \b
    Examples:
      jenkinsgen graph jenkinsgen.yaml -o delivery.svg
      jenkinsgen graph jenkinsgen.yaml -o delivery.png
      jenkinsgen graph jenkinsgen.yaml -o delivery.dot   # no Graphviz needed
    """
    fmt = write_graph(load_spec(spec), output)
    info(ctx, f"{output}: delivery flow of {spec} ({fmt})")


COMMANDS: list[click.Command] = [graph]
