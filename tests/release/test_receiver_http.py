"""The receiver's HTTP front (jenkinsgen.release.receiver_http) on real sockets on 127.0.0.1.

No release runs here: the receiver's sites hold the golden release spec's services (for
their webhook paths) and no Docker; each case is refused, or answered, before anything
would reach Docker. What is checked is what a client or a proxy in front sees on the wire.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jenkinsgen.release import receiver_http
from jenkinsgen.release.receiver import Receiver, Response
from jenkinsgen.release.receiver_http import ReceiverServer
from jenkinsgen.spec import load_spec

TOKEN = "s3cret-token-for-tests"
SPEC = Path(__file__).resolve().parents[1] / "golden" / "release" / "spec.yaml"


class _Site:
    """What the receiver reads of a site when it starts: its services."""

    def __init__(self) -> None:
        self._services = [(service, None) for service in load_spec(SPEC).services]

    def services(self) -> list[tuple[Any, None]]:
        return self._services


def _refuse(job: Any) -> None:
    raise AssertionError("no release may start in these tests")


@pytest.fixture
def serve() -> Iterator[Any]:
    servers: list[ReceiverServer] = []

    def start(receiver: Receiver | None = None) -> tuple[str, int]:
        receiver = receiver or Receiver({"prod": _Site()}, TOKEN, _refuse)  # type: ignore[dict-item]
        server = ReceiverServer(("127.0.0.1", 0), receiver)
        servers.append(server)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}).start()
        host, port = server.server_address[:2]
        return str(host), int(port)

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def exchange(address: tuple[str, int], raw: bytes, timeout: float = 10) -> bytes:
    """Send ``raw``, then read until the server closes the connection."""
    with socket.create_connection(address, timeout=timeout) as sock:
        sock.sendall(raw)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def statuses(reply: bytes) -> list[int]:
    return [int(line.split()[1]) for line in reply.split(b"\r\n") if line.startswith(b"HTTP/1.1 ")]


def request(method: str, path: str, *headers: str, body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", *headers, "Connection: close"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def test_the_token_header_is_found_in_any_case_and_only_once(serve: Any) -> None:
    address = serve()
    for name in ("Authorization", "authorization", "AUTHORIZATION"):
        reply = exchange(address, request("GET", "/nowhere", f"{name}: Bearer {TOKEN}"))
        assert statuses(reply) == [404], name  # past the token check
    assert statuses(exchange(address, request("GET", "/nowhere", "authorization: Bearer x"))) == [
        401
    ]
    twice = request("GET", "/nowhere", f"Authorization: Bearer {TOKEN}", "Authorization: Bearer x")
    assert statuses(exchange(address, twice)) == [401]


def test_every_method_gets_json_and_head_no_body(serve: Any) -> None:
    address = serve()
    auth = f"Authorization: Bearer {TOKEN}"
    for method in ("PUT", "DELETE", "PATCH", "OPTIONS"):
        reply = exchange(address, request(method, "/hooks/orders", auth))
        assert statuses(reply) == [405], method
        assert b"application/json" in reply and b'"error"' in reply
    head = exchange(address, request("HEAD", "/releases/r1", auth))
    assert statuses(head) == [405]
    assert head.endswith(b"\r\n\r\n")  # headers only


def test_a_refused_body_is_never_read_as_another_request(serve: Any) -> None:
    address = serve()
    smuggled = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
    too_long = b"POST /hooks/orders HTTP/1.1\r\nHost: x\r\nContent-Length: 70000\r\n\r\n" + smuggled
    assert statuses(exchange(address, too_long)) == [413]
    chunked = (
        b"POST /hooks/orders HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        + f"{len(smuggled):x}\r\n".encode()
        + smuggled
        + b"\r\n0\r\n\r\n"
    )
    assert statuses(exchange(address, chunked)) == [411]
    for length in ("0_2", "+2", " 2 2", "\uff12"):
        odd = f"POST /hooks/orders HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n\r\n"
        assert statuses(exchange(address, odd.encode() + smuggled)) == [400], length
    two = (
        b"POST /hooks/orders HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 40\r\n\r\n"
    )
    assert statuses(exchange(address, two + smuggled)) == [400]


def test_deeply_nested_json_is_a_400(serve: Any) -> None:
    address = serve()
    body = b"[" * 60000
    raw = request(
        "POST",
        "/hooks/orders",
        f"Authorization: Bearer {TOKEN}",
        f"Content-Length: {len(body)}",
        body=body,
    )
    reply = exchange(address, raw)
    assert statuses(reply) == [400]
    assert b"not JSON" in reply


def test_an_unexpected_failure_is_a_logged_500(
    serve: Any, caplog: pytest.LogCaptureFixture
) -> None:
    class Broken(Receiver):
        def handle(self, *args: Any) -> Response:
            raise RuntimeError("broken on purpose")

    address = serve(Broken({}, TOKEN, _refuse))
    with caplog.at_level(logging.ERROR, logger="jenkinsgen.release"):
        reply = exchange(address, request("GET", "/healthz"))
    assert statuses(reply) == [500]
    assert b"internal error" in reply and b"broken on purpose" not in reply
    assert "broken on purpose" in caplog.text


def test_a_slow_client_is_cut_off_at_the_deadline(
    serve: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(receiver_http, "REQUEST_DEADLINE", 1.0)
    address = serve()
    with socket.create_connection(address, timeout=20) as sock:
        sock.sendall(b"POST /hooks/orders HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n")
        started = time.monotonic()
        closed = False
        for _ in range(60):  # a byte every 0.25 s: never 30 s without one
            try:
                sock.sendall(b"x")
                sock.settimeout(0.25)
                if sock.recv(65536) == b"":
                    closed = True
                    break
            except TimeoutError:
                continue
            except OSError:
                closed = True
                break
        assert closed, "the connection outlived the deadline"
        assert time.monotonic() - started < 12


def test_connections_beyond_the_cap_are_closed_at_once(
    serve: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(receiver_http, "MAX_CONNECTIONS", 2)
    address = serve()
    held = [socket.create_connection(address, timeout=10) for _ in range(2)]
    try:
        for sock in held:  # both served (keep-alive), so both hold a slot
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            assert sock.recv(65536).startswith(b"HTTP/1.1 200")
        with socket.create_connection(address, timeout=10) as third:
            third.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            with contextlib.suppress(ConnectionResetError):  # closed, maybe before it read
                assert third.recv(65536) == b""
    finally:
        for sock in held:
            sock.close()
    deadline = time.monotonic() + 10
    while True:  # the slots come back once the held connections are gone
        if statuses(exchange(address, request("GET", "/healthz"))) == [200]:
            break
        assert time.monotonic() < deadline
        time.sleep(0.1)


def test_logged_request_lines_carry_no_control_characters(
    serve: Any, caplog: pytest.LogCaptureFixture
) -> None:
    address = serve()
    with caplog.at_level(logging.INFO, logger="jenkinsgen.release"):
        exchange(
            address, b"GET /a\rFORGED\x1b[31m HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        time.sleep(0.2)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "FORGED" in logged
    assert "\x1b" not in logged and "\r" not in logged
    assert "\\x1b" in logged
