"""Read a plugin archive's ``META-INF/MANIFEST.MF`` and check it against what we expect.

A manifest is ``Key: value`` lines; a value longer than the 72-byte line limit continues on the
next line, which starts with one space (that space is dropped when joining). Sections are
separated by blank lines; the main section (the first) carries the plugin attributes:
``Short-Name``, ``Plugin-Version``, ``Jenkins-Version`` and ``Plugin-Dependencies``
(``name:version`` items separated by commas, ``;resolution:=optional`` marking optional ones).
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from jenkinsgen.bundle.updatecenter import Dependency
from jenkinsgen.errors import BundleError

MANIFEST_PATH = "META-INF/MANIFEST.MF"


def parse(text: str) -> dict[str, str]:
    """The main section's attributes, continuation lines joined."""
    attributes: dict[str, str] = {}
    key: str | None = None
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if not line:
            if attributes:
                break  # end of the main section
            continue
        if line.startswith(" "):
            if key is None:
                raise BundleError(f"{MANIFEST_PATH}: continuation line without an attribute")
            attributes[key] += line[1:]
            continue
        name, sep, value = line.partition(":")
        if not sep or not name:
            raise BundleError(f"{MANIFEST_PATH}: not a 'Name: value' line: {line!r}")
        key = name.strip()
        attributes[key] = value[1:] if value.startswith(" ") else value
    return attributes


def dependencies(attributes: dict[str, str]) -> tuple[Dependency, ...]:
    """The ``Plugin-Dependencies`` attribute as Dependency entries."""
    raw = attributes.get("Plugin-Dependencies", "").strip()
    result = []
    for item in filter(None, (part.strip() for part in raw.split(","))):
        spec, _, modifiers = item.partition(";")
        name, _, version = spec.partition(":")
        result.append(Dependency(name, version, "resolution:=optional" in modifiers))
    return tuple(result)


def _read(source: Path | io.BytesIO, label: str) -> dict[str, str]:
    try:
        with zipfile.ZipFile(source) as archive:
            text = archive.read(MANIFEST_PATH).decode("utf-8")
    except KeyError:
        raise BundleError(f"{label}: not a plugin archive: no {MANIFEST_PATH}") from None
    except zipfile.BadZipFile:
        raise BundleError(f"{label}: not a plugin archive: not a zip file") from None
    except UnicodeDecodeError:
        raise BundleError(f"{label}: {MANIFEST_PATH} is not UTF-8") from None
    except OSError as exc:
        raise BundleError(f"{label}: cannot read: {exc.strerror}") from None
    try:
        return parse(text)
    except BundleError as exc:
        raise BundleError(f"{label}: {exc}") from None


def read_archive(data: bytes, label: str) -> dict[str, str]:
    """The manifest attributes of a plugin archive given as bytes."""
    return _read(io.BytesIO(data), label)


def read_file(path: Path, label: str | None = None) -> dict[str, str]:
    """The manifest attributes of a plugin archive on disk (read without loading it whole)."""
    return _read(path, label or str(path))


def check(attributes: dict[str, str], name: str, version: str, label: str) -> None:
    """Raise BundleError unless the manifest names plugin ``name`` at ``version``."""
    short_name = attributes.get("Short-Name")
    plugin_version = attributes.get("Plugin-Version")
    if short_name != name:
        raise BundleError(f"{label}: manifest Short-Name is {short_name!r}, expected {name!r}")
    if plugin_version != version:
        raise BundleError(
            f"{label}: manifest Plugin-Version of {name} is {plugin_version!r}, "
            f"expected {version!r}"
        )
