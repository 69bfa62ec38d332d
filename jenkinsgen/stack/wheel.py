"""A wheel of the jenkinsgen that runs, for the seed image ``up`` builds (the receiver).

The seed image installs exactly this version from its wheel. ``up --wheel`` takes one; without
it, the running jenkinsgen is packed again: from its source checkout with ``pip wheel`` (an
editable install, as ``make seed-image`` does), or else from the files its installed
distribution records (a regular install from a wheel or an index).
"""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys
import tempfile
import zipfile
from importlib import metadata
from pathlib import Path
from urllib.parse import unquote, urlsplit

from jenkinsgen.errors import StackError

__all__ = ["repack_wheel", "running_wheel"]

#: Files an installer adds to a dist-info directory; a wheel does not carry them.
_INSTALLER_FILES = {"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"}
#: Fixed member time: the same installed files give the same wheel.
_DATE = (2000, 1, 1, 0, 0, 0)


def _editable_source(dist: metadata.Distribution) -> Path | None:
    text = dist.read_text("direct_url.json")
    if not text:
        return None
    info = json.loads(text)
    if not info.get("dir_info", {}).get("editable"):
        return None
    url = urlsplit(info.get("url", ""))
    return Path(unquote(url.path)) if url.scheme == "file" else None


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"sha256={digest}"


def repack_wheel(dist: metadata.Distribution, dest: Path) -> Path:
    """Write the wheel of an installed (not editable) distribution into ``dest``."""
    name, version = dist.metadata["Name"], dist.version
    files = [
        f
        for f in dist.files or []
        if not str(f).startswith("..")
        and "__pycache__" not in f.parts
        and not (f.parts[0].endswith(".dist-info") and f.name in _INSTALLER_FILES)
    ]
    info_dir = f"{name}-{version}.dist-info"
    if not any(str(f) == f"{info_dir}/WHEEL" for f in files):
        raise StackError(f"{name} {version}: its installed files hold no {info_dir}/WHEEL")
    dest.mkdir(parents=True, exist_ok=True)
    target = dest / f"{name}-{version}-py3-none-any.whl"
    record = []
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(files, key=str):
            data = Path(str(dist.locate_file(file))).read_bytes()
            member = zipfile.ZipInfo(str(file), _DATE)
            member.external_attr = 0o644 << 16
            member.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(member, data)
            record.append(f"{file},{_record_hash(data)},{len(data)}")
        record.append(f"{info_dir}/RECORD,,")
        member = zipfile.ZipInfo(f"{info_dir}/RECORD", _DATE)
        member.external_attr = 0o644 << 16
        archive.writestr(member, "\n".join(record) + "\n")
    return target


def running_wheel(dest: Path) -> Path:
    """A wheel of the running jenkinsgen in ``dest`` (see the module docstring)."""
    try:
        dist = metadata.distribution("jenkinsgen")
    except metadata.PackageNotFoundError:
        raise StackError("jenkinsgen is not installed as a distribution: give --wheel") from None
    source = _editable_source(dist)
    if source is None:
        return repack_wheel(dist, dest)
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="jenkinsgen-wheel-", dir=dest) as tmp:
        proc = subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", tmp, str(source)],
            capture_output=True,
            text=True,
            check=False,
        )
        built = sorted(Path(tmp).glob("jenkinsgen-*.whl"))
        if proc.returncode != 0 or len(built) != 1:
            last = (proc.stderr.strip().splitlines() or ["no wheel written"])[-1]
            raise StackError(f"building a wheel of {source} failed: {last} (or give --wheel)")
        target = dest / built[0].name
        built[0].replace(target)
    return target
