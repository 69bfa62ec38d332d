"""Small but valid Jenkins plugin archives (a zip with a real-looking META-INF/MANIFEST.MF)."""

from __future__ import annotations

import zipfile
from pathlib import Path


def make_plugin(directory: Path, name: str, version: str = "1.0", payload: str = "") -> Path:
    """Write ``<name>.jpi`` into ``directory`` and return its path."""
    directory.mkdir(parents=True, exist_ok=True)
    manifest = (
        "Manifest-Version: 1.0\r\n"
        f"Short-Name: {name}\r\n"
        f"Extension-Name: {name}\r\n"
        f"Plugin-Version: {version}\r\n"
        "Jenkins-Version: 2.479.3\r\n"
        f"Long-Name: {name} (jenkinsgen test plugin)\r\n"
        "\r\n"
    )
    path = directory / f"{name}.jpi"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(zipfile.ZipInfo("META-INF/MANIFEST.MF", (2020, 1, 1, 0, 0, 0)), manifest)
        archive.writestr(
            zipfile.ZipInfo("WEB-INF/lib/payload.txt", (2020, 1, 1, 0, 0, 0)), payload or name
        )
    return path
