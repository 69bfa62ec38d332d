"""Credentials in the controller's Configuration-as-Code: only references, never values.

The credentials plugin's JCasC root ``credentials`` holds ``system.domainCredentials``, a list
of domains (none named: the global domain) each with its ``credentials``. Two kinds are
rendered, each keyed by the symbol JCasC knows it by at the pinned versions:
``usernamePassword`` (credentials' ``UsernamePasswordCredentialsImpl``: scope, id,
description, username, password) and ``string`` (plain-credentials' ``StringCredentialsImpl``,
secret text: scope, id, description, secret). The password or secret is always a JCasC
reference ``${NAME}``, resolved at start from the environment or the secret file
``$SECRETS/NAME`` (a strict resolution stops the boot when it is missing).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from jenkinsgen.casc.document import literal, secret_ref

__all__ = ["CascCredential", "credentials_document"]

Kind = Literal["usernamePassword", "string"]
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@:-]*$")
_ENV = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class CascCredential:
    """One global credential: ``secret`` names the variable (or secret file) holding the
    password or secret text; ``username`` is for ``usernamePassword`` only."""

    id: str
    kind: Kind
    secret: str
    username: str | None = None
    description: str = ""

    def problems(self) -> list[str]:
        out = []
        if not _ID.match(self.id):
            out.append(f"credentials id {self.id!r}: letters, digits, '.', '_', '@', ':', '-'")
        if not _ENV.match(self.secret):
            out.append(f"credentials {self.id!r}: {self.secret!r} is not a variable name")
        if self.kind not in ("usernamePassword", "string"):
            out.append(f"credentials {self.id!r}: kind {self.kind!r}: usernamePassword or string")
        if (self.kind == "usernamePassword") != bool(self.username):
            out.append(f"credentials {self.id!r}: a username goes with usernamePassword only")
        return out


def _entry(credential: CascCredential) -> dict[str, Any]:
    body: dict[str, Any] = {"scope": "GLOBAL", "id": credential.id}
    if credential.description:
        body["description"] = literal(credential.description)
    if credential.kind == "usernamePassword":
        assert credential.username is not None
        body["username"] = literal(credential.username)
        body["password"] = secret_ref(env=credential.secret)
    else:
        body["secret"] = secret_ref(env=credential.secret)
    return {credential.kind: body}


def credentials_document(credentials: tuple[CascCredential, ...]) -> dict[str, Any]:
    """``{"credentials": {"system": {"domainCredentials": [...]}}}``, in the given order."""
    entries = [_entry(c) for c in credentials]
    return {"credentials": {"system": {"domainCredentials": [{"credentials": entries}]}}}
