"""Passwords in URLs kept out of what jenkinsgen prints.

Credentials belong in credential stores (Jenkins credential ids, ``~/.netrc``, Docker's
config), never in a URL; jenkinsgen refuses them where it uses a URL, and whatever it prints
(errors, warnings, log lines) goes through :func:`redact_credentials`, so a refused value is
not echoed with its password: ``https://user:***@host/``, ``user:***@host``.
"""

from __future__ import annotations

import re

__all__ = ["redact_credentials"]

#: ``user:password@`` after ``scheme://``, or at the start of a word or a quoted value
#: (``u:pw@host/x``, scp-like remotes): the password part is what goes.
_USERINFO = re.compile(
    r"(?P<lead>//|^|(?<=[\s'\"(=,\[]))(?P<user>[^\s/@:'\"]*):(?P<password>[^\s/@'\"]+)@"
)


def redact_credentials(text: str) -> str:
    """``text`` with the password of every ``user:password@`` in it replaced by ``***``."""
    if "@" not in text:
        return text
    return _USERINFO.sub(lambda m: f"{m['lead']}{m['user']}:***@", text)
