"""The CLI reference, generated from the click commands themselves (``make docs``).

Two renderings: a one-line synopsis per command for the README's table, and every command's
full ``--help`` for ``docs/cli.md``. Tests compare both files with a fresh rendering, so the
documentation cannot drift from the options the code accepts.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import click

__all__ = ["cli_help_markdown", "cli_table_markdown", "commands", "synopsis", "write_docs"]

PROG = "jenkinsgen"
WIDTH = 100


def commands(
    group: click.Command | None = None, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    """Every runnable (leaf) command with its path of names, in alphabetical order."""
    if group is None:
        from jenkinsgen.cli.main import cli

        group = cli
    if isinstance(group, click.Group):
        ctx = click.Context(group, info_name=path[-1] if path else PROG)
        for name in group.list_commands(ctx):
            sub = group.get_command(ctx, name)
            if sub is not None and not sub.hidden:
                yield from commands(sub, (*path, name))
    else:
        yield path, group


def _metavar(param: click.Parameter) -> str:
    if isinstance(param.type, click.Choice):
        return "|".join(str(c) for c in param.type.choices)
    if param.metavar:
        return param.metavar
    kind = param.type
    if isinstance(kind, click.types.IntParamType):
        return "N"
    if isinstance(kind, click.types.FloatParamType):
        return "SECONDS" if "timeout" in (param.name or "") else "X"
    if isinstance(kind, click.Path):
        return "DIR" if kind.dir_okay and not kind.file_okay else "PATH"
    return (param.name or "value").upper()


def _option(opt: click.Option) -> str:
    names = [n for n in opt.opts if n.startswith("--")] or opt.opts
    if opt.is_flag:
        flag = names[0]
        text = f"{flag}/{opt.secondary_opts[0]}" if opt.secondary_opts else flag
    else:
        short = [n for n in opt.opts if not n.startswith("--")]
        flag = short[0] if short and opt.required else names[0]
        text = f"{flag} {_metavar(opt)}"
    if opt.multiple:
        return f"[{text}]..." if not opt.required else f"{text} [{text}]..."
    return text if opt.required else f"[{text}]"


def _argument(arg: click.Argument) -> str:
    name = _metavar(arg) if arg.metavar or isinstance(arg.type, click.Choice) else ""
    name = name or (arg.name or "arg").upper()
    if arg.nargs == -1:
        name += "..."
    return name if arg.required else f"[{name}]"


def synopsis(path: tuple[str, ...], command: click.Command) -> str:
    """``jenkinsgen agents up --url URL --count N [--image IMAGE] ...``: arguments first, then
    required options, then optional ones, in declaration order."""
    args = [_argument(p) for p in command.params if isinstance(p, click.Argument)]
    options = [p for p in command.params if isinstance(p, click.Option) and not p.hidden]
    required = [_option(o) for o in options if o.required]
    optional = [_option(o) for o in options if not o.required]
    return " ".join([PROG, *path, *args, *required, *optional])


def _summary(command: click.Command) -> str:
    return (command.help or "").strip().split("\n\n", 1)[0].replace("\n", " ").strip()


def cli_table_markdown() -> str:
    """The README table: synopsis and one-line summary of every command."""
    rows = ["| command | what it does |", "| --- | --- |"]
    for path, command in commands():
        cell = synopsis(path, command).replace("|", "\\|")
        rows.append(f"| `{cell}` | {_summary(command).replace('|', chr(92) + '|')} |")
    return "\n".join(rows)


def cli_help_markdown() -> str:
    """Every command's ``--help`` as ``docs/cli.md`` shows it."""
    from jenkinsgen.cli.main import cli

    parts: list[str] = []
    for path, _ in commands():
        # The root context carries -h/--help (cli's context settings); children inherit it.
        ctx = cli.make_context(PROG, [], resilient_parsing=True)
        ctx.terminal_width = ctx.max_content_width = WIDTH
        command: click.Command = cli
        for name in path:
            assert isinstance(command, click.Group)
            found = command.get_command(ctx, name)
            assert found is not None
            command = found
            ctx = click.Context(
                command, info_name=name, parent=ctx, terminal_width=WIDTH, max_content_width=WIDTH
            )
        text = command.get_help(ctx)
        parts.append(f"## `{PROG} {' '.join(path)}`\n\n```text\n{text.rstrip()}\n```\n")
    return "\n".join(parts)


def write_docs(root: Path) -> None:
    """Regenerate the README table and docs/cli.md under ``root``."""
    from jenkinsgen.docgen import write_section

    write_section(root / "README.md", "cli-reference", cli_table_markdown())
    write_section(root / "docs" / "cli.md", "cli-help", cli_help_markdown())


if __name__ == "__main__":  # pragma: no cover
    write_docs(Path.cwd())
