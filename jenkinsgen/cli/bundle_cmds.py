"""``jenkinsgen bundle resolve|download``: the reproducible, offline plugin bundle."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from jenkinsgen.bundle import pluginlist, updatecenter
from jenkinsgen.bundle.download import download, fetch_bytes
from jenkinsgen.bundle.lock import LockedPlugin, dumps, loads, read_lock, write_lock
from jenkinsgen.bundle.resolve import resolve
from jenkinsgen.cli.common import info, warn
from jenkinsgen.errors import BundleError


@click.group("bundle")
def bundle() -> None:
    """Resolve a plugin list into plugins.lock and download the locked archives.

    \b
    Examples:
      jenkinsgen bundle resolve plugins.txt --update-center update-center.json \\
          --jenkins-version 2.249.3 -o plugins.lock
      jenkinsgen bundle download plugins.lock -d build/plugins
    """


@bundle.command("resolve")
@click.argument(
    "plugin_list",
    metavar="PLUGINS.txt|PLUGINS.yaml",
    type=click.Path(dir_okay=False, path_type=Path),
)
@click.option(
    "--update-center",
    "update_center",
    required=True,
    metavar="FILE|URL",
    help="The update-center.json (or its JSONP form) to resolve against.",
)
@click.option(
    "--plugin-versions",
    "plugin_versions",
    metavar="FILE|URL",
    help="A plugin-versions.json (or a .zip of it): every release, to pin older ones.",
)
@click.option(
    "--experimental-update-center",
    "experimental",
    metavar="FILE|URL",
    help="Update center for NAME:experimental entries.",
)
@click.option(
    "--jenkins-version",
    "jenkins_version",
    required=True,
    metavar="V",
    help="Jenkins core version the bundle is for (checked against requiredCore).",
)
@click.option(
    "--latest-dependencies",
    is_flag=True,
    help="Give dependencies their newest release instead of the lowest that fits.",
)
@click.option("--strict", is_flag=True, help="Fail on published security warnings.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("plugins.lock"),
    show_default=True,
    help="Lock file to write.",
)
@click.option(
    "--check",
    is_flag=True,
    help="Write nothing; exit 1 if the lock file differs from what resolving gives now.",
)
@click.pass_context
def resolve_cmd(
    ctx: click.Context,
    plugin_list: Path,
    update_center: str,
    plugin_versions: str | None,
    experimental: str | None,
    jenkins_version: str,
    latest_dependencies: bool,
    strict: bool,
    output: Path,
    check: bool,
) -> None:
    """Resolve PLUGINS.txt|PLUGINS.yaml into a pinned, checksummed plugins.lock.

    \b
    Examples:
      jenkinsgen bundle resolve plugins.txt --update-center update-center.json \\
          --jenkins-version 2.555.2 -o plugins.lock
      jenkinsgen bundle resolve plugins.yaml --update-center https://updates.example.com/uc.json \\
          --plugin-versions plugin-versions.json --jenkins-version 2.555.2 --check
    """
    requests = pluginlist.load(plugin_list)
    center = updatecenter.load(update_center, plugin_versions)
    experimental_center = updatecenter.load(experimental) if experimental else None
    result = resolve(
        requests,
        center,
        jenkins_version,
        experimental=experimental_center,
        latest_dependencies=latest_dependencies,
        strict=strict,
        fetch=fetch_bytes,
    )
    for line in result.warnings:
        warn(f"security: {line}")
    if check:
        _check_lock(output, dumps(result.lock))
        info(ctx, f"{output}: up to date")
        return
    write_lock(result.lock, output)
    direct = sum(1 for p in result.lock.plugins if p.direct)
    info(
        ctx,
        f"{output}: {len(result.lock.plugins)} plugins ({direct} requested, "
        f"{len(result.lock.plugins) - direct} dependencies) for Jenkins {jenkins_version}",
    )


def _check_lock(path: Path, expected: str) -> None:
    """Raise BundleError unless ``path`` holds exactly ``expected``."""
    try:
        current = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BundleError(f"{path}: cannot read lock: {exc.strerror}") from None
    if current == expected:
        return
    old = {p.name: p.version for p in loads(current, str(path)).plugins}
    new = {p.name: p.version for p in loads(expected, str(path)).plugins}
    changes = [
        f"{name} {old.get(name, '(none)')} -> {new.get(name, '(none)')}"
        for name in sorted(old.keys() | new.keys())
        if old.get(name) != new.get(name)
    ]
    detail = ": " + ", ".join(changes) if changes else " (same plugins, other details)"
    raise BundleError(f"{path}: out of date{detail}")


@bundle.command("download")
@click.argument(
    "lock_file", metavar="PLUGINS.lock", type=click.Path(dir_okay=False, path_type=Path)
)
@click.option(
    "-d",
    "--dir",
    "directory",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory to fill with NAME.jpi files.",
)
@click.option(
    "--mirror",
    metavar="URL",
    help="Download base replacing https://updates.jenkins.io/download (http or file).",
)
@click.option(
    "-j",
    "--workers",
    type=click.IntRange(1, 64),
    default=4,
    show_default=True,
    help="Parallel downloads.",
)
@click.option(
    "--retries",
    type=click.IntRange(0, 20),
    default=3,
    show_default=True,
    help="Retries per file on network errors, HTTP 5xx and truncated bodies.",
)
@click.option(
    "--prune", is_flag=True, help="Remove *.jpi/*.hpi files of DIR that the lock does not name."
)
@click.pass_context
def download_cmd(
    ctx: click.Context,
    lock_file: Path,
    directory: Path,
    mirror: str | None,
    workers: int,
    retries: int,
    prune: bool,
) -> None:
    """Download and verify the archives of PLUGINS.lock into DIR (all or nothing).

    \b
    Examples:
      jenkinsgen bundle download plugins.lock -d build/plugins
      jenkinsgen bundle download plugins.lock -d build/plugins --mirror https://mirror.example.com/jenkins
    """
    lock = read_lock(lock_file)
    counts = {"skipped": 0, "downloaded": 0}
    show_bar = sys.stderr.isatty()
    with click.progressbar(
        length=len(lock.plugins), label="plugins", file=sys.stderr, hidden=not show_bar
    ) as bar:

        def progress(plugin: LockedPlugin, action: str) -> None:
            counts[action] += 1
            bar.update(1)

        download(
            lock,
            directory,
            mirror=mirror,
            workers=workers,
            retries=retries,
            progress=progress,
            prune=prune,
        )
    info(
        ctx,
        f"{directory}: {counts['downloaded']} downloaded, {counts['skipped']} already "
        f"present, {len(lock.plugins)} plugins verified",
    )


COMMANDS: list[click.Command] = [bundle]
