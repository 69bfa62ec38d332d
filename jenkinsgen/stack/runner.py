"""Running docker compose on a stack directory: ``docker compose`` (v2) when the Docker CLI
has it, else ``docker-compose`` (v1); ``JENKINSGEN_COMPOSE`` names another command.

The CLI decides to run it (``up``, ``down``); this module only knows how: the project
directory, the compose file and the project name are always given, so the same containers
are found whichever directory the command runs from. Compose's own output (it writes
progress on stderr) is passed on line by line; a failure is one StackError line with the
last thing compose said.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from jenkinsgen.errors import StackError

__all__ = ["Compose", "detect_compose"]

Progress = Callable[[str], None]
OVERRIDE = "JENKINSGEN_COMPOSE"


@dataclass(frozen=True)
class Compose:
    """A compose command (``("docker", "compose")`` or ``("docker-compose",)``) and the
    version it reported."""

    command: tuple[str, ...]
    version: str

    @property
    def name(self) -> str:
        return " ".join(self.command)

    def run(
        self,
        directory: Path,
        project: str,
        compose_file: Path,
        args: list[str],
        *,
        env: Mapping[str, str] | None = None,
        progress: Progress | None = None,
    ) -> None:
        """Run ``compose ARGS`` for the project; StackError when it fails."""
        directory, compose_file = directory.resolve(), compose_file.resolve()
        argv = [
            *self.command,
            "--project-directory",
            str(directory),
            "--file",
            str(compose_file),
            "--project-name",
            project,
            *args,
        ]
        tail: deque[str] = deque(maxlen=20)
        try:
            proc = subprocess.Popen(
                argv,
                cwd=directory,
                env={**os.environ, **(env or {})},
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                errors="replace",
            )
        except OSError as exc:
            raise StackError(f"cannot run {self.name}: {exc.strerror}") from None
        assert proc.stdout is not None
        with proc:
            for raw in proc.stdout:
                line = raw.rstrip()
                if line:
                    tail.append(line)
                    if progress is not None:
                        progress(line)
        if proc.returncode != 0:
            last = next((t for t in reversed(tail) if t.strip()), "no output")
            raise StackError(
                f"{self.name} {' '.join(args)} failed (exit status {proc.returncode}): {last}"
            )


def _version(command: list[str]) -> str | None:
    if shutil.which(command[0]) is None:
        return None
    try:
        proc = subprocess.run(
            [*command, "version", "--short"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = proc.stdout.strip()
    return text.splitlines()[0] if proc.returncode == 0 and text else None


def detect_compose(environ: Mapping[str, str] | None = None) -> Compose:
    """The compose command to use (see the module docstring)."""
    env = os.environ if environ is None else environ
    override = env.get(OVERRIDE, "").strip()
    candidates = (
        [shlex.split(override)] if override else [["docker", "compose"], ["docker-compose"]]
    )
    for command in candidates:
        version = _version(command)
        if version is not None:
            return Compose(tuple(command), version)
    if override:
        raise StackError(f"{OVERRIDE}={override!r} does not answer `version --short`")
    raise StackError(
        "neither `docker compose` (v2) nor `docker-compose` (v1) is installed: install the "
        "Docker Compose plugin (docker-compose-plugin) or docker-compose"
    )
