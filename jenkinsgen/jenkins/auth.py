"""Where Jenkins credentials come from: the environment or a netrc-style file, never argv.

``JENKINS_USER`` and ``JENKINS_API_TOKEN`` win; otherwise the ``machine`` entry for the
controller's host in ``$JENKINS_NETRC`` (or ``~/.netrc``). The token is kept out of ``repr``
and of every message, so it cannot leak into logs or errors.
"""

from __future__ import annotations

import netrc
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from jenkinsgen.errors import JenkinsError

USER_ENV = "JENKINS_USER"
TOKEN_ENV = "JENKINS_API_TOKEN"
NETRC_ENV = "JENKINS_NETRC"


@dataclass(frozen=True)
class Credentials:
    """A Jenkins user and API token; ``source`` says where they were found."""

    user: str
    token: str = field(repr=False)
    source: str = ""


def load_credentials(
    url: str, environ: Mapping[str, str] | None = None, netrc_path: Path | None = None
) -> Credentials | None:
    """Credentials for ``url``, or None to talk to Jenkins anonymously."""
    env = os.environ if environ is None else environ
    user, token = env.get(USER_ENV), env.get(TOKEN_ENV)
    if user and token:
        return Credentials(user, token, "environment")
    if bool(user) != bool(token):
        missing = TOKEN_ENV if user else USER_ENV
        present = USER_ENV if user else TOKEN_ENV
        raise JenkinsError(f"{present} is set but {missing} is not: set both or neither")
    path = netrc_path
    if path is None:
        configured = env.get(NETRC_ENV)
        home = Path(env.get("HOME", "~")).expanduser()
        path = Path(configured) if configured else home / ".netrc"
        if not configured and not path.is_file():
            return None
    if not path.is_file():
        raise JenkinsError(f"{path}: credentials file not found ({NETRC_ENV})")
    try:
        entries = netrc.netrc(str(path))
    except (netrc.NetrcParseError, OSError) as exc:
        line = getattr(exc, "lineno", None)
        where = f"{path}:{line}" if line else str(path)
        raise JenkinsError(f"{where}: cannot read credentials file: {_reason(exc)}") from None
    host = urlsplit(url).hostname or ""
    found = entries.authenticators(host)
    if found is None:
        return None
    login, _account, password = found
    if not login or not password:
        raise JenkinsError(f"{path}: entry for {host} needs both login and password")
    return Credentials(login, password, str(path))


def _reason(exc: Exception) -> str:
    """Why the file could not be read; never the parser's message, which may quote a secret."""
    if isinstance(exc, netrc.NetrcParseError):
        return "syntax error"
    return str(getattr(exc, "strerror", None) or type(exc).__name__)
