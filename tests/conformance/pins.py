"""The versions jenkinsgen pins: Jenkins core (images/controller/Dockerfile) and the plugins
(images/controller/plugins.txt), read the way the fact table records them."""

from __future__ import annotations

import re
from pathlib import Path

from jenkinsgen.bundle.pluginlist import load

__all__ = ["DOCKERFILE", "PLUGINS_TXT", "core_pin", "plugin_pins"]

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "images" / "controller" / "Dockerfile"
PLUGINS_TXT = ROOT / "images" / "controller" / "plugins.txt"


def core_pin(dockerfile: Path = DOCKERFILE) -> str:
    """The core version of ``ARG JENKINS_BASE=jenkins/jenkins:<version>-...``."""
    m = re.search(r"^ARG JENKINS_BASE=jenkins/jenkins:([0-9.]+)\b", dockerfile.read_text(), re.M)
    if m is None:
        raise ValueError(f"{dockerfile}: no 'ARG JENKINS_BASE=jenkins/jenkins:<version>' line")
    return m.group(1)


def plugin_pins(plugins_txt: Path = PLUGINS_TXT) -> dict[str, str]:
    """name -> version for every plugin of the list (``latest`` where it is not pinned)."""
    return {request.name: request.version for request in load(plugins_txt)}
