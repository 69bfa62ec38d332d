"""The seed image's inputs: a jenkinsgen wheel of this very version and pinned dependencies.

The seed job rendered by jenkinsgen X runs ``jenkinsgen apply`` in ``<repository>:X``, so the
image must carry exactly X: :func:`read_wheel` refuses a wheel of another version, and
:func:`seed_tag` refuses a tag that is not X. Its dependencies are pinned (``name==version``)
to the versions this jenkinsgen runs with (:func:`pinned_requirements`, read from the installed
distributions), installed without resolution (``pip install --no-deps``) and checked with
``pip check`` during the build: nothing is resolved or installed when the job runs.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from email.parser import HeaderParser
from importlib import metadata
from pathlib import Path

from jenkinsgen.errors import ImageError

__all__ = ["SeedWheel", "pinned_requirements", "read_wheel", "seed_tag"]

_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_EXTRA = re.compile(r"\bextra\s*==")


def _normalize(name: str) -> str:
    """PEP 503 project name normalization."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class SeedWheel:
    """A jenkinsgen wheel: its file, version and Requires-Dist lines."""

    path: Path
    version: str
    requires: tuple[str, ...]


def read_wheel(path: Path, expected_version: str) -> SeedWheel:
    """The jenkinsgen wheel at ``path``; refused unless it is jenkinsgen ``expected_version``."""
    if not path.is_file():
        raise ImageError(f"wheel {path} does not exist")
    if not re.fullmatch(r"jenkinsgen-[^-]+-[^-]+-[^-]+-[^-]+\.whl", path.name):
        raise ImageError(f"{path}: not a jenkinsgen wheel name (jenkinsgen-VERSION-TAGS.whl)")
    try:
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if re.fullmatch(r"[^/]+\.dist-info/METADATA", n)]
            if len(names) != 1:
                raise ImageError(f"{path}: not a wheel (no single *.dist-info/METADATA in it)")
            text = archive.read(names[0]).decode("utf-8")
    except (zipfile.BadZipFile, OSError, UnicodeDecodeError) as exc:
        raise ImageError(f"{path}: not a wheel ({exc})") from exc
    headers = HeaderParser().parsestr(text)
    name, version = headers.get("Name", ""), headers.get("Version", "")
    if _normalize(name) != "jenkinsgen":
        raise ImageError(f"{path}: a wheel of {name or 'an unnamed project'}, not of jenkinsgen")
    if version != expected_version or not path.name.startswith(f"jenkinsgen-{version}-"):
        raise ImageError(
            f"{path} is jenkinsgen {version}, but this is jenkinsgen {expected_version}: the seed "
            f"jobs it renders run the seed image {expected_version}; build the wheel of this "
            "checkout (make seed-image) or run the jenkinsgen of that version"
        )
    return SeedWheel(path, version, tuple(headers.get_all("Requires-Dist") or ()))


def _requirement_names(requires: list[str]) -> list[str]:
    """Project names of the requirements that apply without extras (markers with ``extra``
    are optional features and skipped)."""
    names = []
    for line in requires:
        requirement, _, marker = line.partition(";")
        if _EXTRA.search(marker):
            continue
        match = _NAME.match(requirement)
        if match:
            names.append(match.group(1))
    return names


def pinned_requirements(requires: tuple[str, ...]) -> list[str]:
    """``name==version`` for the whole dependency closure of ``requires``, as installed here.

    A requirement whose distribution is not installed is refused, unless it has an environment
    marker (``sys_platform == "win32"``...): such a dependency does not apply on this platform.
    The image's ``pip check`` catches a marker that applies there but not here.
    """
    pins: dict[str, str] = {}
    todo = [(line, name) for line in requires for name in _requirement_names([line])]
    while todo:
        line, name = todo.pop()
        key = _normalize(name)
        if key in pins:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            if ";" in line:
                continue
            raise ImageError(
                f"cannot pin {name!r} for the seed image: it is not installed with this jenkinsgen"
            ) from None
        pins[key] = dist.version
        for child in dist.requires or ():
            todo.extend((child, n) for n in _requirement_names([child]))
    pins.pop("jenkinsgen", None)
    return [f"{name}=={version}" for name, version in sorted(pins.items())]


def seed_tag(tag: str | None, version: str, default_repository: str) -> str:
    """The seed image's tag: ``REPOSITORY:version``; a tag naming another version is refused."""
    if tag is None:
        return f"{default_repository}:{version}"
    repository, _, given = tag.rpartition(":")
    if not repository or "/" in given:
        return f"{tag}:{version}"
    if given != version:
        raise ImageError(
            f"the seed image's tag must be the jenkinsgen version ({version}), not {given!r}: "
            f"the seed jobs this version renders run {repository}:{version}"
        )
    return tag
