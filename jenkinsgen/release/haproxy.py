"""A client of HAProxy's runtime API (the ``stats socket ... level admin`` unix socket).

Only what releases need: read a backend's servers (``show stat``), set a server's weight
and its administrative state. Each command opens its own connection (HAProxy's
non-interactive mode: one command, one answer, then the socket closes).

HAProxy 2.6 reports a server that has just left maintenance as ``UP`` (or ``UP 1/2``) with
check status ``INI`` before it has checked it once: only ``UP`` with a passed check
(:attr:`ServerStat.checked_up`) means its own health check has seen the server answer.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass

from jenkinsgen.errors import ReleaseError

__all__ = ["RuntimeApi", "ServerStat"]

_CHECK_PASSED = ("L4OK", "L6OK", "L7OK", "L7OKC")


@dataclass(frozen=True)
class ServerStat:
    """One server of a backend as ``show stat`` reports it."""

    backend: str
    server: str
    status: str  # UP, DOWN, MAINT, DRAIN, "UP 1/2", "DOWN 1/2", "no check", ...
    weight: int
    scur: int  # sessions on the server now
    qcur: int  # requests queued for it
    check_status: str  # L7OK, L7STS, L4CON, INI, ... (empty when not checked)
    check_code: str  # the HTTP status of the last check, if any
    check_desc: str
    address: str

    @property
    def checked_up(self) -> bool:
        """UP, and HAProxy's own health check has passed since it was last enabled."""
        return self.status == "UP" and self.check_status in _CHECK_PASSED

    @property
    def maint(self) -> bool:
        return self.status.startswith("MAINT")

    @property
    def idle(self) -> bool:
        """No session on it and nothing queued for it."""
        return self.scur == 0 and self.qcur == 0

    @property
    def check(self) -> str:
        """The last check as a person reads it, e.g. ``L7STS 500 (Layer7 wrong status)``."""
        parts = [p for p in (self.check_status, self.check_code) if p]
        text = " ".join(parts) or "not checked"
        return f"{text} ({self.check_desc})" if self.check_desc else text


class RuntimeApi:
    """HAProxy's runtime API on the unix socket ``path``."""

    def __init__(self, path: str, timeout: float = 10.0) -> None:
        self.path = path
        self.timeout = timeout

    def command(self, line: str) -> str:
        """Send one command, return HAProxy's whole answer."""
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            try:
                sock.connect(self.path)
            except (FileNotFoundError, ConnectionRefusedError):
                raise ReleaseError(
                    f"HAProxy is not running at {self.path} (start it with the configuration "
                    "`jenkinsgen release proxy-config` writes)"
                ) from None
            except PermissionError:
                raise ReleaseError(f"no permission to use HAProxy's socket {self.path}") from None
            sock.sendall(line.encode() + b"\n")
            chunks = []
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
        except OSError as exc:
            raise ReleaseError(f"HAProxy at {self.path}: {line!r} failed: {exc}") from None
        finally:
            sock.close()
        return b"".join(chunks).decode("utf-8", "replace")

    def _set(self, line: str) -> None:
        answer = self.command(line).strip()
        if answer:
            raise ReleaseError(f"HAProxy refused {line!r}: {answer.splitlines()[0]}")

    def servers(self, backend: str) -> dict[str, ServerStat]:
        """The servers of ``backend`` by name; ReleaseError when HAProxy has no such backend
        (it runs an older configuration)."""
        answer = self.command(f"show stat {backend} 4 -1")
        lines = [line for line in answer.splitlines() if line.strip()]
        if not lines or not lines[0].startswith("# "):
            raise ReleaseError(
                f"HAProxy at {self.path} has no backend {backend!r}"
                + (f" ({lines[0].strip()})" if lines else "")
                + ": reload it with the configuration `jenkinsgen release proxy-config` writes"
            )
        header = lines[0][2:].split(",")
        out: dict[str, ServerStat] = {}
        for line in lines[1:]:
            row = dict(zip(header, line.split(","), strict=False))
            if row.get("pxname") != backend or row.get("svname") in ("BACKEND", "FRONTEND"):
                continue
            out[row["svname"]] = ServerStat(
                backend=backend,
                server=row["svname"],
                status=row.get("status", ""),
                weight=_int(row.get("weight")),
                scur=_int(row.get("scur")),
                qcur=_int(row.get("qcur")),
                check_status=row.get("check_status", "").lstrip("* "),
                check_code=row.get("check_code", ""),
                check_desc=row.get("check_desc", ""),
                address=row.get("addr", ""),
            )
        return out

    def server(self, backend: str, server: str) -> ServerStat:
        found = self.servers(backend).get(server)
        if found is None:
            raise ReleaseError(
                f"HAProxy at {self.path} has no server {backend}/{server}: reload it with the "
                "configuration `jenkinsgen release proxy-config` writes"
            )
        return found

    def set_weight(self, backend: str, server: str, weight: int) -> None:
        self._set(f"set server {backend}/{server} weight {weight}")

    def set_state(self, backend: str, server: str, state: str) -> None:
        """``ready``, ``drain`` or ``maint``."""
        self._set(f"set server {backend}/{server} state {state}")


def _int(value: str | None) -> int:
    try:
        return int(value or 0)
    except ValueError:
        return 0
