"""Test helpers of the bundle tests: plugin archives built from real manifests, a threaded
HTTP server on 127.0.0.1 that serves them and fails on demand, a synthetic update center."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import threading
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def fold(line: str) -> str:
    """Wrap one manifest line at 72 bytes the way the JAR tools do (continuations start ' ')."""
    data = line.encode("utf-8")
    parts = [data[:72]]
    data = data[72:]
    while data:
        parts.append(b" " + data[:71])
        data = data[71:]
    return "\r\n".join(p.decode("utf-8") for p in parts)


def manifest_text(base: str, **attributes: str) -> str:
    """A real manifest text (continuations joined) with some attributes replaced or added."""
    unfolded = re.sub(r"\r?\n ", "", base)
    lines = [line for line in unfolded.splitlines() if line]
    keys = {name.replace("_", "-"): value for name, value in attributes.items()}
    out = []
    for line in lines:
        key = line.split(":", 1)[0]
        if key in keys:
            line = f"{key}: {keys.pop(key)}"
        out.append(line)
    out += [f"{key}: {value}" for key, value in keys.items()]
    return "\r\n".join(fold(line) for line in out) + "\r\n\r\n"


def make_hpi(manifest: str, extra: bytes = b"") -> bytes:
    """A plugin archive: a zip with META-INF/MANIFEST.MF and a class-like payload."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("META-INF/MANIFEST.MF", manifest)
        archive.writestr("WEB-INF/lib/payload.jar", b"payload" + extra)
    return buffer.getvalue()


def b64sha256(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")


@dataclass
class PluginServer:
    """What the fixture server serves and how often each path was asked for."""

    base: str
    files: dict[str, bytes] = field(default_factory=dict)
    hits: Counter[str] = field(default_factory=Counter)
    #: path -> faults for its next requests, in order: "500", "503", "404", "truncate"
    faults: dict[str, list[str]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    #: seconds each answer waits, and the most requests seen in flight at once
    delay: float = 0.0
    in_flight: int = 0
    max_in_flight: int = 0

    def url(self, path: str) -> str:
        return f"{self.base}/{path.lstrip('/')}"


@dataclass
class Catalogue:
    """A small synthetic update center whose archives the server serves."""

    server: PluginServer
    document: dict[str, Any]
    archives: dict[str, bytes]
    path: Path

    def write(self) -> Path:
        self.path.write_text(json.dumps(self.document), encoding="utf-8")
        return self.path


# (name, version, base manifest, dependencies "name:version[:optional]", requiredCore)
SYNTHETIC = [
    ("junit", "1.2", "junit", [], "1.577"),
    ("mailer", "1.32", "mailer", ["display-url-api:2.3.1"], "2.150.1"),
    ("display-url-api", "2.3.1", "junit", [], "1.625"),
    ("credentials", "2.3.0", "ssh-credentials", [], "2.138.4"),
    ("ssh-credentials", "1.10", "ssh-credentials", ["credentials:1.16.1"], "1.532.2"),
    (
        "github-branch-source",
        "1.8",
        "github-branch-source",
        ["credentials:1.22", "ssh-credentials:1.10", "mailer:1.30:optional"],
        "1.609.3",
    ),
]
