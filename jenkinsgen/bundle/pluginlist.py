"""Read the plugin lists jenkins-plugin-cli reads: ``plugins.txt`` and ``plugins.yaml``.

plugins.txt, one plugin a line (``#`` starts a comment at the line start or after whitespace;
whitespace inside a line is ignored; blank lines are skipped)::

    name                          latest release from the update center
    name:latest                   the same
    name:1.2.3                    exactly that version
    name:experimental             latest release from the experimental update center
    name::https://host/x.hpi      that archive (version read from its manifest)
    name:1.2.3:https://host/x.hpi that archive, which must be version 1.2.3
    name:incrementals;GROUP;VER   an incremental build from repo.jenkins-ci.org/incrementals

plugins.yaml: a ``plugins:`` list of ``{artifactId, groupId?, source: {version?, url?}}``.

Unlike jenkins-plugin-cli, which warns and ignores a URL it cannot parse, every problem here is
an error located at FILE:LINE: a plugin list is an input to a reproducible build, so a line that
does not say what it seems to say must stop it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from jenkinsgen.errors import BundleError

#: Where ``incrementals;GROUP;VERSION`` builds are published.
INCREMENTALS_REPO = "https://repo.jenkins-ci.org/incrementals"

LATEST = "latest"
EXPERIMENTAL = "experimental"

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\Z")
_VERSION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]*\Z")
_COMMENT = re.compile(r"\s#.*")
_URL_SCHEMES = ("http", "https", "file")


@dataclass(frozen=True)
class PluginRequest:
    """One plugin asked for by a plugin list.

    ``version`` is a version, ``"latest"`` or ``"experimental"``; ``url`` is set when the archive
    comes from elsewhere than the update center (then ``version`` may be ``"latest"``, meaning
    "whatever the archive is"). ``where`` is ``FILE:LINE`` for messages.
    """

    name: str
    version: str = LATEST
    url: str | None = None
    group_id: str | None = None
    where: str = "<request>"

    @property
    def pinned(self) -> bool:
        """True when the list names one exact version."""
        return self.version not in (LATEST, EXPERIMENTAL)

    def __str__(self) -> str:
        text = self.name if self.version == LATEST else f"{self.name}:{self.version}"
        return f"{text} ({self.where})"


def incrementals_url(name: str, group_id: str, version: str) -> str:
    """The Maven repository URL of an incremental build's .hpi."""
    return f"{INCREMENTALS_REPO}/{group_id.replace('.', '/')}/{name}/{version}/{name}-{version}.hpi"


def _check_url(url: str) -> str | None:
    """The problem with ``url``, or None when it is an absolute http(s)/file URL."""
    parts = urlsplit(url)
    if parts.scheme not in _URL_SCHEMES:
        return f"not a http, https or file URL: {url!r}"
    if parts.scheme != "file" and not parts.hostname:
        return f"URL has no host: {url!r}"
    if parts.username or parts.password:
        return "credentials in a plugin URL would be written to plugins.lock: put them in ~/.netrc"
    return None


def _request(
    name: str, version: str | None, url: str | None, group: str | None, where: str
) -> PluginRequest:
    """Validate the parts of one entry and build its request (raises BundleError)."""
    if not name or not _NAME.match(name):
        raise BundleError(f"{where}: invalid plugin name {name!r}")
    version = version or LATEST
    if version.startswith("incrementals"):
        parts = version.split(";")
        if len(parts) != 3 or parts[0] != "incrementals" or not parts[1] or not parts[2]:
            raise BundleError(
                f"{where}: {name}: expected incrementals;GROUP_ID;VERSION, got {version!r}"
            )
        group, version = parts[1], parts[2]
    if version not in (LATEST, EXPERIMENTAL) and not _VERSION.match(version):
        raise BundleError(f"{where}: {name}: invalid version {version!r}")
    if group is not None:
        if version in (LATEST, EXPERIMENTAL):
            raise BundleError(f"{where}: {name}: a groupId needs an exact version")
        if not url:
            url = incrementals_url(name, group, version)
    if url:
        problem = _check_url(url)
        if problem:
            raise BundleError(f"{where}: {name}: {problem}")
        if version == EXPERIMENTAL:
            raise BundleError(f"{where}: {name}: 'experimental' cannot be combined with a URL")
    return PluginRequest(name, version, url or None, group, where)


def parse_txt(text: str, filename: str = "plugins.txt") -> list[PluginRequest]:
    """Parse plugins.txt text; every bad line is reported, located, in one BundleError."""
    requests: list[PluginRequest] = []
    problems: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = re.sub(r"\s", "", _COMMENT.sub("", raw))
        if not line or line.startswith("#"):
            continue
        where = f"{filename}:{number}"
        name, _, rest = line.partition(":")
        version, _, url = rest.partition(":")
        if version in ("http", "https", "file") and url.startswith("//"):
            problems.append(f"{where}: {name}: a URL needs an empty version: {name}::URL")
            continue
        try:
            requests.append(_request(name, version, url or None, None, where))
        except BundleError as exc:
            problems.append(str(exc))
    return _no_duplicates(requests, problems)


class _LineLoader(yaml.SafeLoader):
    """A SafeLoader that keeps scalars as written and remembers each mapping's line.

    Only ``null`` is resolved implicitly, so ``version: 1.20`` stays ``"1.20"`` (not the float
    1.2) and ``version: 2.10`` does not become ``2.1``. The line lands in key ``__line__``.
    """

    yaml_implicit_resolvers = {  # noqa: RUF012 - PyYAML reads it as a class attribute
        first: [(tag, regexp) for tag, regexp in resolvers if tag == "tag:yaml.org,2002:null"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }


def _mapping_with_line(loader: _LineLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_with_line)


def _scalar(value: Any) -> str | None:
    """A YAML scalar's text, or None for null, a mapping or a list."""
    if value is None or isinstance(value, dict | list):
        return None
    return str(value)


def parse_yaml(text: str, filename: str = "plugins.yaml") -> list[PluginRequest]:
    """Parse plugins.yaml text (a ``plugins:`` list; other top-level keys are ignored)."""
    try:
        data = yaml.load(text, Loader=_LineLoader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        reason = getattr(exc, "problem", None) or str(exc)
        raise BundleError(f"{filename}{line}: invalid YAML: {reason}") from None
    if not isinstance(data, dict) or not isinstance(data.get("plugins"), list):
        raise BundleError(f"{filename}:1: expected a top-level 'plugins:' list")
    requests: list[PluginRequest] = []
    problems: list[str] = []
    for index, entry in enumerate(data["plugins"]):
        if not isinstance(entry, dict):
            problems.append(f"{filename}: plugins[{index}]: expected a mapping with artifactId")
            continue
        where = f"{filename}:{entry.get('__line__', '?')}"
        try:
            name = _scalar(entry.get("artifactId"))
            if not name:
                raise BundleError(f"{where}: plugins[{index}]: artifactId is required")
            unknown = sorted(set(entry) - {"artifactId", "groupId", "source", "__line__"})
            if unknown:
                raise BundleError(f"{where}: {name}: unknown key {unknown[0]!r}")
            source = entry.get("source") or {}
            if not isinstance(source, dict):
                raise BundleError(f"{where}: {name}: 'source' must be a mapping")
            extra = sorted(set(source) - {"version", "url", "__line__"})
            if extra:
                raise BundleError(f"{where}: {name}: unknown key source.{extra[0]}")
            group = _scalar(entry.get("groupId"))
            version = _scalar(source.get("version"))
            if group and not version:
                raise BundleError(f"{where}: {name}: a groupId needs source.version")
            requests.append(_request(name, version, _scalar(source.get("url")), group, where))
        except BundleError as exc:
            problems.append(str(exc))
    return _no_duplicates(requests, problems)


def _no_duplicates(requests: list[PluginRequest], problems: list[str]) -> list[PluginRequest]:
    """Drop exact repeats; a plugin asked for twice in different ways is a problem, reported
    together with the bad lines already in ``problems`` as one BundleError."""
    seen: dict[str, PluginRequest] = {}
    result: list[PluginRequest] = []
    for request in requests:
        first = seen.get(request.name)
        if first is None:
            seen[request.name] = request
            result.append(request)
        elif (first.version, first.url, first.group_id) != (
            request.version,
            request.url,
            request.group_id,
        ):
            problems.append(
                f"{request.where}: {request.name} is already listed differently at {first.where}"
            )
    if problems:
        raise BundleError("\n".join(problems))
    return result


def load(path: str | Path) -> list[PluginRequest]:
    """Read a plugin list file; ``.yaml``/``.yml`` files are plugins.yaml, others plugins.txt."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise BundleError(f"{path}: cannot read plugin list: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise BundleError(f"{path}: not UTF-8 text") from None
    if path.suffix.lower() in (".yaml", ".yml"):
        return parse_yaml(text, str(path))
    return parse_txt(text, str(path))
