"""jenkinsgen: a complete Docker delivery system on Jenkins from one YAML file.

The library is usable without the CLI::

    from jenkinsgen import load_spec, plan, render_spec, write_tree

    spec = load_spec("jenkinsgen.yaml")          # raises SpecError listing every problem
    rendered = render_spec(spec)                 # in memory: config.xml + Jenkinsfile per item
    write_tree(rendered, "out")                  # atomic, deterministic

Syncing (``jenkinsgen.sync``), plugin bundles (``jenkinsgen.bundle``), images
(``jenkinsgen.images``), agents (``jenkinsgen.agents``), releases (``jenkinsgen.release``) and
whole stacks (``jenkinsgen.stack``) live in their own packages, so rendering never imports
docker or python-jenkins.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from jenkinsgen.errors import JenkinsgenError, SpecError, SpecProblem
from jenkinsgen.plan import plan
from jenkinsgen.spec import Spec, load_spec

if TYPE_CHECKING:
    from jenkinsgen.render import render_spec
    from jenkinsgen.render.output import write_tree

__version__ = "0.1.0"

__all__ = [
    "JenkinsgenError",
    "Spec",
    "SpecError",
    "SpecProblem",
    "__version__",
    "load_spec",
    "plan",
    "render_spec",
    "write_tree",
]

_LAZY = {
    "render_spec": ("jenkinsgen.render", "render_spec"),
    "write_tree": ("jenkinsgen.render.output", "write_tree"),
}


def __getattr__(name: str) -> Any:
    """Import the renderer only when it is used (keeps ``import jenkinsgen`` light)."""
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'jenkinsgen' has no attribute {name!r}")
