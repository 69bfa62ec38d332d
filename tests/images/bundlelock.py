"""A plugins.lock whose archives are local files (file:// URLs), for image tests."""

from __future__ import annotations

import hashlib
from pathlib import Path

from jenkinsgen.bundle.lock import Lock, LockedPlugin, write_lock
from tests.dockerlib.plugins import make_plugin


def write_file_lock(where: Path, plugins: dict[str, str], corrupt: str | None = None) -> Path:
    """Build archives for ``plugins`` (name → version) under ``where`` and lock them."""
    entries = []
    for name, version in sorted(plugins.items()):
        path = make_plugin(where / "repo", name, version)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if name == corrupt:
            digest = "0" * 64
        entries.append(LockedPlugin(name, version, path.as_uri(), digest, "2.479.3", True))
    lock = where / "plugins.lock"
    write_lock(Lock("2.479.3", {"source": "test", "id": "default"}, tuple(entries)), lock)
    return lock
