"""A long-running Groovy 2.4 process that parses Jenkinsfiles and summarises their AST.

The JVM starts once (1-2 s); each ``parse`` is then a round trip over a pipe. The Groovy side
(``groovy_ast.groovy``) parses the text as Jenkins does (Groovy's own parser, unicode escapes
translated first) up to the CONVERSION phase and answers with JSON.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCRIPT = Path(__file__).with_name("groovy_ast.groovy")
DEFAULT_JAVA_HOME = "/usr/lib/jvm/java-17-openjdk-amd64"


@dataclass(frozen=True)
class Call:
    """One method call: its name, positional string-constant arguments and named ones, and the
    names of the calls whose arguments (closures) it sits in, outermost first."""

    name: str
    args: tuple[str, ...]
    named: tuple[tuple[str, str], ...]
    within: tuple[str, ...] = ()

    @property
    def parent(self) -> str | None:
        return self.within[-1] if self.within else None

    def named_dict(self) -> dict[str, str]:
        return dict(self.named)


@dataclass(frozen=True)
class ParseError:
    line: int
    column: int
    message: str


@dataclass(frozen=True)
class AstSummary:
    """What a Jenkinsfile's AST holds: parse errors, method calls, string constants, GStrings."""

    errors: tuple[ParseError, ...]
    calls: tuple[Call, ...]
    strings: tuple[str, ...]
    gstrings: int

    @property
    def ok(self) -> bool:
        return not self.errors

    def call_names(self) -> set[str]:
        return {c.name for c in self.calls}

    def calls_named(self, name: str) -> list[Call]:
        return [c for c in self.calls if c.name == name]

    def shell_commands(self) -> list[str]:
        """The script of every ``sh`` step whose output goes to the log, in source order
        (``sh(script: ..., returnStdout: true)`` captures are :meth:`captured_commands`)."""
        out = []
        for call in self.calls_named("sh"):
            if call.args == () and "script" in call.named_dict():
                continue
            assert len(call.args) == 1, call
            out.append(call.args[0])
        return out

    def captured_commands(self) -> list[str]:
        """The script of every ``sh(script: ..., returnStdout: true)``, in source order."""
        return [
            c.named_dict()["script"]
            for c in self.calls_named("sh")
            if c.args == () and "script" in c.named_dict()
        ]


def find_groovy() -> str | None:
    """The groovy launcher, or None when Groovy is not installed."""
    return shutil.which("groovy")


class GroovyParser:
    """One Groovy process answering parse requests; thread-safe; close() ends it."""

    def __init__(self, groovy: str, java_home: str | None = None) -> None:
        env = dict(os.environ)
        home = java_home or env.get("JAVA_HOME") or DEFAULT_JAVA_HOME
        env["JAVA_HOME"] = home
        self._lock = threading.Lock()
        # stderr goes to a file: JVM warnings must never fill a pipe nobody reads
        self._stderr_file = tempfile.TemporaryFile()  # noqa: SIM115 - closed in close()
        self._proc = subprocess.Popen(
            [groovy, str(SCRIPT)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr_file,
            env=env,
        )

    def parse(self, text: str) -> AstSummary:
        """Parse ``text`` as a Jenkinsfile and summarise it."""
        body = text.encode("utf-8")
        with self._lock:
            stdin, stdout = self._proc.stdin, self._proc.stdout
            assert stdin is not None and stdout is not None
            try:
                stdin.write(b"%d\n" % len(body) + body)
                stdin.flush()
                line = stdout.readline()
            except BrokenPipeError:
                line = b""
            if not line:
                raise RuntimeError(f"groovy AST process died: {self._stderr()}")
        data: dict[str, Any] = json.loads(line)
        return AstSummary(
            errors=tuple(ParseError(e["line"], e["column"], e["message"]) for e in data["errors"]),
            calls=tuple(
                Call(
                    c["name"],
                    tuple(c["args"]),
                    tuple(sorted(c["named"].items())),
                    tuple(c["within"]),
                )
                for c in data["calls"]
            ),
            strings=tuple(data["strings"]),
            gstrings=int(data["gstrings"]),
        )

    def _stderr(self) -> str:
        self._stderr_file.seek(0)
        return self._stderr_file.read().decode("utf-8", "replace")[-2000:]

    def close(self) -> None:
        """End the process (stdin EOF first, then terminate, then kill)."""
        if self._proc.stdin is not None and not self._proc.stdin.closed:
            with contextlib.suppress(BrokenPipeError):
                self._proc.stdin.close()
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        if self._proc.stdout is not None:
            self._proc.stdout.close()
        self._stderr_file.close()
