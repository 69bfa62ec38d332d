"""Configuration-as-Code (JCasC) documents: deterministic YAML and safe literal values.

Renderers build plain dicts; :func:`dump_yaml` turns one into text that is the same byte for
byte for the same input, and :func:`merge` combines documents (controller, clouds) into one.
The controller image bakes its own document and the rendered clouds as separate files of one
directory, which JCasC merges itself (:mod:`jenkinsgen.images.baked`). JCasC substitutes
``${...}`` in every string it reads, so any value that is not meant as a reference goes
through :func:`literal`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

__all__ = ["dump_yaml", "literal", "merge", "secret_ref"]


class _Dumper(yaml.SafeDumper):
    """SafeDumper that indents block sequences under their key, as JCasC examples do."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def dump_yaml(document: Mapping[str, Any]) -> str:
    """Render a JCasC document as block YAML with sorted keys (stable across runs)."""
    text: str = yaml.dump(
        dict(document),
        Dumper=_Dumper,
        default_flow_style=False,
        sort_keys=True,
        allow_unicode=True,
        width=1000,
    )
    return text


def literal(value: str) -> str:
    """Escape ``${`` so JCasC keeps the text as written instead of resolving a variable."""
    return value.replace("${", "^${")


def secret_ref(*, env: str | None = None, file: str | None = None) -> str:
    """A JCasC reference to a secret: an environment variable (which JCasC also finds as a
    Docker secret file ``/run/secrets/<env>``) or a file read at start. Never the value."""
    if (env is None) == (file is None):
        raise ValueError("give exactly one of env or file")
    if env is not None:
        return "${" + env + "}"
    return "${readFile:" + str(file) + "}"


def merge(*documents: Mapping[str, Any]) -> dict[str, Any]:
    """Deep-merge documents left to right: mappings merge, anything else is replaced."""
    out: dict[str, Any] = {}
    for document in documents:
        for key, value in document.items():
            current = out.get(key)
            if isinstance(current, Mapping) and isinstance(value, Mapping):
                out[key] = merge(current, value)
            else:
                out[key] = value
    return out
