"""The stack's secrets: generated with a CSPRNG, written 0600 and atomically, never replaced.

Tokens and passwords come from :mod:`secrets` (43 URL-safe characters, 256 bits). The
registry's htpasswd line is bcrypt, the only hash distribution's registry accepts, written
with the ``$2y$`` prefix Apache's ``htpasswd -B`` writes (the same algorithm as ``$2b$``; both
the registry and Apache read it).
"""

from __future__ import annotations

import secrets as _random
from pathlib import Path

import bcrypt

from jenkinsgen.errors import StackError

__all__ = [
    "BCRYPT_COST",
    "htpasswd_line",
    "htpasswd_matches",
    "new_secret",
    "read_secret",
]

#: bcrypt work factor of the htpasswd line: the registry checks it on every request of a push,
#: so it stays moderate (Apache's htpasswd -B defaults to 5).
BCRYPT_COST = 10


def new_secret() -> str:
    """A fresh random password or token: 43 URL-safe characters (256 bits)."""
    return _random.token_urlsafe(32)


def htpasswd_line(user: str, password: str) -> str:
    """``user:$2y$...`` plus a newline: one htpasswd entry, bcrypt."""
    if ":" in user or "\n" in user:
        raise ValueError(f"htpasswd user {user!r} holds ':' or a newline")
    digest = bcrypt.hashpw(password.encode(), bcrypt.gensalt(BCRYPT_COST)).decode()
    return f"{user}:$2y${digest[4:]}\n"


def htpasswd_matches(text: str, user: str, password: str) -> bool:
    """Whether the htpasswd ``text`` has ``user`` with exactly ``password``."""
    for line in text.splitlines():
        name, sep, digest = line.partition(":")
        if name != user or not sep or not digest.startswith("$2"):
            continue
        candidate = "$2b$" + digest[4:] if digest[:4] in ("$2y$", "$2a$") else digest
        try:
            return bcrypt.checkpw(password.encode(), candidate.encode())
        except ValueError:
            return False
    return False


def read_secret(path: Path) -> str:
    """A secret file's value (surrounding white space dropped, as JCasC reads it); an empty
    or unreadable one is a StackError that names the file, never its content."""
    try:
        value = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise StackError(f"{path}: cannot read the secret: {why}") from None
    if not value:
        raise StackError(f"{path}: the secret is empty")
    return value
