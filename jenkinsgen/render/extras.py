"""Files of the output tree that are not Jenkins items: Configuration-as-Code documents.

Today one: ``casc/agents.yaml`` for a spec with an ``agents:`` section (docker-plugin and
kubernetes clouds, see docs/agents.md). Both ``render_spec`` (in memory, for ``--check``
and ``apply``) and ``render_into`` (straight to disk) take them from here.
"""

from __future__ import annotations

from jenkinsgen.casc.clouds import render_agents_casc
from jenkinsgen.spec.model import Spec

AGENTS_CASC = "casc/agents.yaml"


def extra_files(spec: Spec) -> tuple[tuple[str, bytes], ...]:
    """``(relative path, bytes)`` of every extra file ``spec`` asks for, sorted by path."""
    files: list[tuple[str, bytes]] = []
    agents = render_agents_casc(spec)
    if agents is not None:
        files.append((AGENTS_CASC, agents.encode("utf-8")))
    return tuple(sorted(files))
