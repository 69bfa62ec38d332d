"""Commands of this group (filled by its issue)."""

import click

COMMANDS: list[click.Command] = []
