"""The versions jenkinsgen pins: Jenkins core (images/controller/Dockerfile) and the plugins
(images/controller/plugins.txt), read the way the fact table records them (by
jenkinsgen.images.pins, which ``jenkinsgen init`` and ``up`` use too)."""

from __future__ import annotations

from pathlib import Path

from jenkinsgen.images import pins

__all__ = ["DOCKERFILE", "PLUGINS_TXT", "core_pin", "plugin_pins"]

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "images" / "controller" / "Dockerfile"
PLUGINS_TXT = ROOT / "images" / "controller" / "plugins.txt"


def core_pin(dockerfile: Path = DOCKERFILE) -> str:
    """The core version of ``ARG JENKINS_BASE=jenkins/jenkins:<version>-...``."""
    return pins.core_pin(dockerfile)


def plugin_pins(plugins_txt: Path = PLUGINS_TXT) -> dict[str, str]:
    """name -> version for every plugin of the list (``latest`` where it is not pinned)."""
    return pins.plugin_pins(plugins_txt)
