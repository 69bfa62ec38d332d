"""The managed marker in every description, and the digest it carries.

A description ends with one marker line::

    managed-by: jenkinsgen; owner=teams/payments; sha256=<64 hex digits>

``owner`` is the spec's root folder (prune only ever touches its own owner's items);
``sha256`` is the digest of the item's own rendered content: its config.xml *with the digest
field blank* (64 zeros), a NUL byte, then its Jenkinsfile in UTF-8 when it has one. Because
the marker is in the description, one ``api/json?tree=jobs[name,description,...]`` query tells
sync which live items are current, with no local cache.
"""

from __future__ import annotations

import hashlib
import re

from jenkinsgen.errors import RenderError
from jenkinsgen.render.model import MARKER_PREFIX

#: The digest field before it is filled in (and while the digest is computed).
BLANK_DIGEST = "0" * 64

_MARKER = re.compile(
    "^" + re.escape(MARKER_PREFIX) + r"; owner=(?P<owner>[A-Za-z0-9._/-]+); "
    r"sha256=(?P<digest>[0-9a-f]{64})$"
)
_BLANK = BLANK_DIGEST.encode()
_CLOSE = b"</description>"
_FIELD = b"sha256="


def marker_line(owner: str, digest: str = BLANK_DIGEST) -> str:
    """The marker line for an item of ``owner`` with ``digest``."""
    return f"{MARKER_PREFIX}; owner={owner}; sha256={digest}"


def describe(text: str, owner: str) -> str:
    """A description: ``text``, a blank line, and the marker with the digest still blank."""
    return f"{text}\n\n{marker_line(owner)}"


def parse_marker(description: str | None) -> tuple[str, str] | None:
    """``(owner, digest)`` from a description's last marker line, or None if unmanaged."""
    if not description or MARKER_PREFIX not in description:
        return None
    for line in reversed(description.splitlines()):
        match = _MARKER.match(line.strip())
        if match is not None:
            return match.group("owner"), match.group("digest")
    return None


def _digest_slot(config_xml: bytes) -> int:
    """Where the 64 digest digits sit: just before the first ``</description>``."""
    end = config_xml.find(_CLOSE)
    start = end - 64
    if end < 0 or config_xml[start - len(_FIELD) : start] != _FIELD:
        raise RenderError("config.xml has no jenkinsgen marker at the end of its description")
    return start


def _hash(config_xml: bytes, start: int, jenkinsfile: str | None) -> str:
    h = hashlib.sha256()
    h.update(config_xml[:start])
    h.update(BLANK_DIGEST.encode())
    h.update(config_xml[start + 64 :])
    h.update(b"\0")
    if jenkinsfile is not None:
        h.update(jenkinsfile.encode("utf-8"))
    return h.hexdigest()


def seal(config_xml: bytes, jenkinsfile: str | None) -> tuple[bytes, str]:
    """Fill the blank digest of ``config_xml``; returns the final bytes and the digest."""
    start = _digest_slot(config_xml)
    if config_xml[start : start + 64] != _BLANK:
        raise RenderError("config.xml to seal must carry the blank digest")
    h = hashlib.sha256(config_xml)
    h.update(b"\0")
    if jenkinsfile is not None:
        h.update(jenkinsfile.encode("utf-8"))
    digest = h.hexdigest()
    view = memoryview(config_xml)  # one copy of the document, not three
    return b"".join((view[:start], digest.encode(), view[start + 64 :])), digest


def compute_digest(config_xml: bytes, jenkinsfile: str | None) -> str:
    """The digest an item's content should carry, whatever its digest field holds now."""
    return _hash(config_xml, _digest_slot(config_xml), jenkinsfile)
