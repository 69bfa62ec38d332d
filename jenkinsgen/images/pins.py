"""The versions the controller image pins: Jenkins core (``ARG JENKINS_BASE`` of
``images/controller/Dockerfile``) and every plugin (``images/controller/plugins.txt``)."""

from __future__ import annotations

import re
from pathlib import Path

from jenkinsgen.bundle.pluginlist import load
from jenkinsgen.errors import ImageError
from jenkinsgen.images.context import images_root

__all__ = ["core_pin", "plugin_pins"]


def core_pin(dockerfile: Path | None = None) -> str:
    """The core version of ``ARG JENKINS_BASE=jenkins/jenkins:<version>-...``."""
    path = dockerfile or images_root() / "controller" / "Dockerfile"
    m = re.search(r"^ARG JENKINS_BASE=jenkins/jenkins:([0-9.]+)\b", path.read_text(), re.M)
    if m is None:
        raise ImageError(f"{path}: no 'ARG JENKINS_BASE=jenkins/jenkins:<version>' line")
    return m.group(1)


def plugin_pins(plugins_txt: Path | None = None) -> dict[str, str]:
    """name -> version for every plugin of the list (``latest`` where it is not pinned)."""
    path = plugins_txt or images_root() / "controller" / "plugins.txt"
    return {request.name: request.version for request in load(path)}
