"""The render command (filled by its issue)."""

import click

COMMANDS: list[click.Command] = []
