"""Images from a registry for the e2e suites: used when present, pulled when missing, and a
skip only when the registry cannot be reached from this machine.

Any other failure (a tag that does not exist, an engine error, a bug in the test) is an error,
so a machine that can reach Docker Hub runs the e2e suites instead of skipping them quietly.
"""

from __future__ import annotations

import re
from typing import Any

import docker
import pytest

#: What dockerd says when it cannot reach or resolve a registry (DNS, routing, TLS, proxy).
_UNREACHABLE = re.compile(
    r"dial tcp|no such host|lookup .* on |connection refused|network is unreachable"
    r"|i/o timeout|TLS handshake timeout|context deadline exceeded|Client\.Timeout"
    r"|proxyconnect|temporary failure in name resolution",
    re.IGNORECASE,
)


def unreachable(exc: docker.errors.APIError) -> bool:
    """True when a pull failed because no registry can be reached from here."""
    return bool(_UNREACHABLE.search(str(exc.explanation or exc)))


def image_or_skip(client: Any, ref: str) -> tuple[Any, bool]:
    """(image, pulled by this call) for ``ref``; skips only when it cannot be pulled here."""
    try:
        return client.images.get(ref), False
    except docker.errors.ImageNotFound:
        pass
    repository, _, tag = ref.rpartition(":") if ":" in ref.rsplit("/", 1)[-1] else (ref, "", "")
    try:
        return client.images.pull(repository, tag=tag or "latest"), True
    except docker.errors.APIError as exc:
        if not unreachable(exc):
            raise
        first = str(exc.explanation or exc).splitlines()[0][:160]
        pytest.skip(f"image not available: {ref} cannot be pulled here ({first})")
