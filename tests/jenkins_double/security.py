"""Authentication (users with passwords and API tokens) and CSRF crumbs bound to sessions.

As in Jenkins: a wrong password or token is 401; anonymous access where reading needs a
user is 403; a POST without a valid crumb is 403 "No valid crumb was included in the request"
unless it was authenticated with an API token. Crumbs are issued per web session
(``JSESSIONID`` cookie) and user.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass, field

from tests.jenkins_double.routing import Request, Response

CRUMB_FIELD = "Jenkins-Crumb"
SESSION_COOKIE = "JSESSIONID.double"
NO_CRUMB = "No valid crumb was included in the request"


@dataclass
class Security:
    """Who may do what. With no users, anonymous may do everything (security disabled)."""

    passwords: dict[str, str] = field(default_factory=dict)
    tokens: dict[str, set[str]] = field(default_factory=dict)
    csrf: bool = True
    salt: str = field(default_factory=lambda: secrets.token_hex(16))

    @property
    def enabled(self) -> bool:
        return bool(self.passwords or self.tokens)

    def add_user(self, name: str, password: str | None = None, token: str | None = None) -> None:
        if password is not None:
            self.passwords[name] = password
        if token is not None:
            self.tokens.setdefault(name, set()).add(token)

    def crumb_for(self, session: str | None, user: str | None) -> str:
        data = f"{self.salt}:{session or ''}:{user or 'anonymous'}".encode()
        return hashlib.sha256(data).hexdigest()

    def authenticate(self, req: Request) -> Response | None:
        """Fill ``req.user``/``via_token``; a Response when the request must be refused."""
        header = req.headers.get("authorization", "")
        if header.lower().startswith("basic "):
            try:
                user, _, secret = base64.b64decode(header[6:]).decode().partition(":")
            except ValueError:
                return _unauthorized("Malformed Authorization header")
            if secret in self.tokens.get(user, set()):
                req.user, req.via_token = user, True
            elif user in self.passwords and _same(self.passwords[user], secret):
                req.user = user
            else:
                return _unauthorized(f"Invalid password/token for user: {user}")
        elif self.enabled:  # crumbIssuer too: it is not among Jenkins' always-readable paths
            return Response(
                403,
                b"<html><body>Authentication required</body></html>",
                "text/html;charset=utf-8",
                {
                    "X-You-Are-Authenticated-As": "anonymous",
                    "X-Required-Permission": "hudson.model.Hudson.Read",
                },
            )
        return None

    def check_crumb(self, req: Request) -> Response | None:
        """Refuse a POST without a valid crumb (API-token requests are exempt)."""
        if not self.csrf or req.method != "POST" or req.via_token:
            return None
        sent = req.headers.get(CRUMB_FIELD.lower()) or req.param(CRUMB_FIELD)
        if sent and req.session and _same(sent, self.crumb_for(req.session, req.user)):
            return None
        return Response(
            403, f"<html><body>{NO_CRUMB}</body></html>".encode(), "text/html;charset=utf-8"
        )


def _same(a: str, b: str) -> bool:
    """Constant-time equality that accepts any text (``compare_digest`` refuses non-ASCII str)."""
    return secrets.compare_digest(a.encode(), b.encode())


def _unauthorized(message: str) -> Response:
    return Response(
        401,
        f"<html><body>{message}</body></html>".encode(),
        "text/html;charset=utf-8",
        {"WWW-Authenticate": 'Basic realm="Jenkins"'},
    )
