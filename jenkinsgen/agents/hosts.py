"""Docker hosts given as DOCKER_HOST-style URLs, and Docker clients for them.

* ``unix:///path/docker.sock`` — an engine on this machine; its socket path is also what the
  agent container mounts, so a second engine on another socket gets its own socket.
* ``tcp://host:port`` — TLS when ``?certs=DIR`` names a directory with ``ca.pem``,
  ``cert.pem``, ``key.pem`` (per host), or when ``DOCKER_TLS_VERIFY`` is set (then
  ``DOCKER_CERT_PATH``, default ``~/.docker``, as the docker CLI does). Plain TCP is allowed
  only for loopback addresses: an unauthenticated remote engine is root on that machine.
* ``ssh://user@host[:port]`` — through the ``ssh`` client (keys and config from ``~/.ssh``).

``?socket=PATH`` overrides the socket path mounted into agents (default
``/var/run/docker.sock`` for tcp and ssh hosts).
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import docker
import docker.errors
import docker.tls
import requests

from jenkinsgen.errors import AgentError

__all__ = ["DockerHost", "connect", "parse_host"]

DEFAULT_HOST = "unix:///var/run/docker.sock"
DEFAULT_SOCKET = "/var/run/docker.sock"
_LOOPBACK = ("127.0.0.1", "localhost", "::1")
_MIN_API = "1.24"


@dataclass(frozen=True)
class DockerHost:
    """One Docker engine agents may run on."""

    url: str  # as given, without the query: what labels and status show
    scheme: str
    address: str  # what the Docker SDK connects to
    socket_path: str  # the engine's socket as seen on its own machine
    cert_dir: str | None = None

    def __str__(self) -> str:
        return self.url


def parse_host(spec: str, environ: Mapping[str, str] | None = None) -> DockerHost:
    """Parse a ``--docker-host`` value; AgentError names what is wrong with it."""
    env = os.environ if environ is None else environ
    parts = urlsplit(spec)
    userinfo = parts.netloc.rpartition("@")[0]
    if ":" in userinfo or (userinfo and parts.scheme != "ssh"):
        raise AgentError(
            f"docker host {spec!r}: no password in the URL, and a user only for ssh:// "
            "(ssh keys from ~/.ssh; tcp:// authenticates with TLS certificates)"
        )
    try:
        _ = parts.port  # raises for a port out of range or not a number
    except ValueError as exc:
        raise AgentError(f"docker host {spec!r}: {exc}") from None
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    unknown = set(query) - {"certs", "socket"}
    if unknown:
        raise AgentError(
            f"docker host {spec!r}: unknown option(s) {', '.join(sorted(unknown))} "
            "(known: certs, socket)"
        )
    base = spec.split("?", 1)[0]
    socket = query.get("socket")
    if parts.scheme == "unix":
        if not parts.path.startswith("/") or parts.netloc:
            raise AgentError(f"docker host {spec!r}: use unix:///absolute/path/to/docker.sock")
        return DockerHost(base, "unix", f"unix://{parts.path}", socket or parts.path)
    if parts.scheme == "tcp":
        if not parts.hostname or parts.port is None:
            raise AgentError(f"docker host {spec!r}: use tcp://HOST:PORT")
        cert_dir = query.get("certs")
        if cert_dir is None and env.get("DOCKER_TLS_VERIFY"):
            cert_dir = env.get("DOCKER_CERT_PATH") or str(Path("~/.docker").expanduser())
        if cert_dir is not None:
            for name in ("ca.pem", "cert.pem", "key.pem"):
                if not (Path(cert_dir) / name).is_file():
                    raise AgentError(
                        f"docker host {spec!r}: {Path(cert_dir) / name} not found "
                        "(TLS needs ca.pem, cert.pem and key.pem)"
                    )
        elif parts.hostname not in _LOOPBACK:
            raise AgentError(
                f"docker host {spec!r}: refusing plain TCP to a remote engine; give TLS "
                "certificates with ?certs=DIR or DOCKER_TLS_VERIFY=1 + DOCKER_CERT_PATH"
            )
        address = f"https://{parts.netloc}" if cert_dir else f"http://{parts.netloc}"
        return DockerHost(base, "tcp", address, socket or DEFAULT_SOCKET, cert_dir)
    if parts.scheme == "ssh":
        if not parts.hostname:
            raise AgentError(f"docker host {spec!r}: use ssh://USER@HOST[:PORT]")
        return DockerHost(base, "ssh", base, socket or DEFAULT_SOCKET)
    raise AgentError(f"docker host {spec!r}: use unix://, tcp:// or ssh:// (as DOCKER_HOST)")


def connect(host: DockerHost, timeout: int = 60) -> docker.DockerClient:
    """A Docker client for ``host``; AgentError when the engine does not answer."""
    kwargs: dict[str, Any] = {"base_url": host.address, "timeout": timeout}
    if host.cert_dir is not None:
        d = Path(host.cert_dir)
        kwargs["tls"] = docker.tls.TLSConfig(
            client_cert=(str(d / "cert.pem"), str(d / "key.pem")),
            ca_cert=str(d / "ca.pem"),
            verify=True,
        )
    if host.scheme == "ssh":
        kwargs["use_ssh_client"] = True
        if importlib.util.find_spec("paramiko") is None:
            # The Docker SDK loads its ssh transport only when paramiko is installed, even
            # when it shells out to the ssh client.
            raise AgentError(
                f"docker host {host}: ssh:// hosts need the paramiko package "
                "(pip install paramiko, or docker[ssh])"
            )
    if host.scheme == "unix" and not Path(host.address[len("unix://") :]).exists():
        raise AgentError(f"docker host {host}: cannot connect: no such socket")
    client = None
    try:
        if host.cert_dir is not None:
            kwargs["version"] = _tls_api_version(kwargs)
        client = docker.DockerClient(**kwargs)
        if host.cert_dir is not None:
            client.api.trust_env = False
        client.ping()
    except (docker.errors.DockerException, requests.RequestException) as exc:
        if client is not None:
            client.close()
        raise AgentError(f"docker host {host}: cannot connect: {_first_line(exc)}") from None
    return client


def _tls_api_version(kwargs: dict[str, Any]) -> str:
    """The engine's API version, asked with our CA only.

    requests lets ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` override a session's CA file, which
    breaks verification against a private Docker CA; so TLS clients ignore the environment
    (``trust_env = False``), and the version the SDK would otherwise detect on construction,
    before that can be set, is read here through a client built with a fixed old API version.
    """
    probe = docker.DockerClient(**{**kwargs, "version": _MIN_API})
    try:
        probe.api.trust_env = False
        return str(probe.version(api_version=False)["ApiVersion"])
    finally:
        probe.close()


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
