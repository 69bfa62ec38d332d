"""What counts as a Jenkins controller URL: the one check behind every ``--url``.

``http://`` or ``https://`` with a host and a valid port, no whitespace or control
characters, and no user info (credentials come from the environment or a netrc file).
Callers word the error for their own context from :class:`ControllerUrlError.kind`.
"""

from __future__ import annotations

import re
from typing import Literal
from urllib.parse import SplitResult, urlsplit

from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url

UrlProblem = Literal["invalid", "credentials", "scheme"]

CREDENTIALS_HINT = (
    "credentials do not belong in the URL; use JENKINS_USER / JENKINS_API_TOKEN or a netrc file"
)

_NOT_URL = re.compile(r"[\s\x00-\x1f\x7f]")


class ControllerUrlError(ValueError):
    """Why a URL cannot address a controller: ``invalid`` (unparsable, bad host or port,
    whitespace), ``credentials`` (user info in it) or ``scheme`` (not http(s)://HOST)."""

    def __init__(self, kind: UrlProblem, reason: str, host: str | None = None) -> None:
        super().__init__(reason)
        self.kind: UrlProblem = kind
        self.reason = reason
        self.host = host


def parse_controller_url(url: str) -> SplitResult:
    """``url`` split, or :class:`ControllerUrlError` (checked in the order of its kinds)."""
    if _NOT_URL.search(url):
        raise ControllerUrlError("invalid", "whitespace or control characters")
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises for a port out of range or not a number
        parse_url(url)
    except (ValueError, LocationParseError) as exc:
        # ValueError texts never quote the URL; urllib3's may, with any userinfo in it
        reason = str(exc) if not isinstance(exc, LocationParseError) else "invalid host or port"
        raise ControllerUrlError("invalid", reason) from None
    if parts.username is not None or parts.password is not None:
        raise ControllerUrlError("credentials", CREDENTIALS_HINT, parts.hostname)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ControllerUrlError("scheme", "not http:// or https://HOST")
    return parts
