"""Request/response types and the router every endpoint of the double registers with.

Two kinds of routes:

* global routes match the whole path (no leading ``/``), e.g. ``computer/doCreateItem``;
* item routes match what follows an item's ``job/A/job/B/`` prefix (``config.xml``,
  ``api/json``, ...) and receive the resolved item path; the root object is the empty path.

Handlers return a :class:`Response`; raising :class:`Failure` answers like Jenkins'
``hudson.model.Failure`` (400 + ``X-Error``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs


@dataclass
class Request:
    """One parsed HTTP request as handlers see it."""

    method: str
    path: str  # decoded, no leading "/", no query
    raw_path: str  # as sent, with query
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    body: bytes
    user: str | None = None  # authenticated user name
    via_token: bool = False  # authenticated with an API token (CSRF-exempt)
    session: str | None = None  # web session id (cookie)

    def param(self, name: str) -> str | None:
        """First value of a query (or urlencoded form) parameter."""
        values = self.query.get(name) or self.form().get(name)
        return values[0] if values else None

    def form(self) -> dict[str, list[str]]:
        """The body parsed as ``application/x-www-form-urlencoded`` (empty otherwise)."""
        ctype = self.headers.get("content-type", "")
        if not ctype.startswith("application/x-www-form-urlencoded"):
            return {}
        return parse_qs(self.body.decode("utf-8", "replace"), keep_blank_values=True)

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type")


@dataclass
class Response:
    """What a handler answers. ``headers`` are added to the standard Jenkins ones."""

    status: int = 200
    body: bytes = b""
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, data: Any, status: int = 200) -> Response:
        return cls(status, json.dumps(data).encode(), "application/json;charset=utf-8")

    @classmethod
    def xml(cls, data: bytes, status: int = 200) -> Response:
        return cls(status, data, "application/xml;charset=utf-8")

    @classmethod
    def text(cls, data: str, status: int = 200) -> Response:
        return cls(status, data.encode(), "text/plain;charset=utf-8")

    @classmethod
    def failure(cls, message: str) -> Response:
        """Jenkins' ``Failure``: 400 with the message in ``X-Error`` and an HTML body."""
        return cls(
            400,
            f"<html><body><h1>Error</h1><p>{message}</p></body></html>".encode(),
            "text/html;charset=utf-8",
            {"X-Error": message},
        )

    @classmethod
    def not_found(cls) -> Response:
        return cls(404, b"<html><body>Not Found</body></html>", "text/html;charset=utf-8")

    @classmethod
    def redirect(cls, location: str, status: int = 302) -> Response:
        return cls(status, b"", None, {"Location": location})


class Failure(Exception):
    """Raise from a handler to answer 400 + ``X-Error: message``."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(Exception):
    """Raise from a handler to answer 404."""


GlobalHandler = Callable[[Request, "re.Match[str]"], Response]
ItemHandler = Callable[[Request, tuple[str, ...], "re.Match[str]"], Response]


@dataclass
class _Route:
    methods: frozenset[str]
    pattern: re.Pattern[str]
    handler: Any
    kind: str


class Router:
    """Holds the double's routes; later registrations win over earlier ones."""

    def __init__(self) -> None:
        self._global: list[_Route] = []
        self._item: list[_Route] = []

    def add(
        self, methods: str | tuple[str, ...], pattern: str, handler: GlobalHandler, kind: str
    ) -> None:
        """Route ``methods`` on a whole path matching ``pattern`` (``re.fullmatch``).

        ``kind`` names the endpoint in the request counters (e.g. ``"computer/doCreateItem"``).
        """
        self._global.insert(0, _Route(_methods(methods), re.compile(pattern), handler, kind))

    def add_item(
        self, methods: str | tuple[str, ...], pattern: str, handler: ItemHandler, kind: str
    ) -> None:
        """Route ``methods`` on the part after an item's ``job/../`` prefix."""
        self._item.insert(0, _Route(_methods(methods), re.compile(pattern), handler, kind))

    def match_global(self, path: str) -> list[tuple[_Route, re.Match[str]]]:
        """Every global route whose pattern matches ``path`` (any method)."""
        return [(r, m) for r in self._global if (m := r.pattern.fullmatch(path))]

    def match_item(self, rest: str) -> list[tuple[_Route, re.Match[str]]]:
        return [(r, m) for r in self._item if (m := r.pattern.fullmatch(rest))]


def _methods(methods: str | tuple[str, ...]) -> frozenset[str]:
    return frozenset((methods,) if isinstance(methods, str) else methods)
