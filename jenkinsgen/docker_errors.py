"""What talking to a Docker engine can raise, and how it is said to a user in one line.

The Docker SDK wraps only some failures in ``DockerException``: an engine that cannot be
reached or stops answering surfaces as ``requests``' errors, a streamed answer that breaks off
as ``urllib3``'s or ``http.client``'s, a truncated JSON stream as the SDK's
``StreamParseError``. Every module that calls the engine (images, agents, release) catches
:data:`ENGINE_ERRORS` and reports :func:`engine_error`.
"""

from __future__ import annotations

import http.client

import docker
import requests
import urllib3

__all__ = ["ENGINE_ERRORS", "engine_error"]

#: What talking to the engine can raise: the SDK's own errors; requests' when the engine
#: cannot be reached or stops answering; urllib3's and http.client's when a streamed answer
#: breaks off; the SDK's StreamParseError (not a DockerException) for a truncated JSON stream;
#: OSError from the socket itself.
ENGINE_ERRORS = (
    docker.errors.DockerException,
    docker.errors.StreamParseError,
    requests.RequestException,
    urllib3.exceptions.HTTPError,
    http.client.HTTPException,
    OSError,
)


def engine_error(exc: BaseException) -> str:
    """One line saying what went wrong with the engine (never a multi-line dump)."""
    if isinstance(exc, requests.Timeout | urllib3.exceptions.TimeoutError | TimeoutError):
        return "the Docker engine stopped answering (timed out)"
    if isinstance(
        exc,
        requests.ConnectionError
        | requests.exceptions.ChunkedEncodingError
        | urllib3.exceptions.ProtocolError
        | http.client.HTTPException
        | ConnectionError,
    ):
        return f"the connection to the Docker engine was lost ({type(exc).__name__})"
    if isinstance(exc, docker.errors.StreamParseError):
        return "the Docker engine's answer broke off (incomplete JSON stream)"
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
