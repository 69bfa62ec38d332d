"""HTTP/1.1 in front of a :class:`~jenkinsgen.release.receiver.Receiver`, for ``http.server``.

What reaches the receiver is a whole request with a bounded body, read within a deadline;
everything else is refused before it, and the connection closed so that no byte of a
refused body is read as another request:

* the body only with one ``Content-Length`` of ASCII digits, at most :data:`MAX_BODY` bytes
  (``Transfer-Encoding`` is refused with 411: the pipeline's trigger never chunks);
* request line, headers and body within :data:`REQUEST_DEADLINE` seconds in all (a client
  sending a byte now and then cannot keep a thread), and at most :data:`MAX_CONNECTIONS`
  connections at once (others are closed at once);
* header names in any case (``authorization`` from a proxy that lowercases them); two
  ``Authorization`` headers are no token at all;
* any method: what the receiver does not serve gets its 405 (HEAD: headers only), not
  ``http.server``'s HTML 501;
* an unexpected failure is a 500 in JSON, logged, never a dropped connection;
* logged request lines with control characters escaped (no forged lines, no terminal codes).
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from jenkinsgen.release.receiver import Receiver, Response, error_response

__all__ = ["MAX_BODY", "MAX_CONNECTIONS", "REQUEST_DEADLINE", "ReceiverServer", "make_handler"]

log = logging.getLogger("jenkinsgen.release")

MAX_BODY = 64 * 1024
REQUEST_DEADLINE = 30.0
MAX_CONNECTIONS = 64
_LENGTH = re.compile(r"[0-9]{1,9}")
_CONTROL = {c: f"\\x{c:02x}" for c in (*range(0x20), *range(0x7F, 0xA0))}
_METHODS = ("GET", "POST", "HEAD", "PUT", "DELETE", "PATCH", "OPTIONS")


class ReceiverServer(ThreadingHTTPServer):
    """A threading server that holds at most :data:`MAX_CONNECTIONS` connections."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], receiver: Receiver) -> None:
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        super().__init__(address, make_handler(receiver))

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            log.warning("%s: refused, %d connections open", client_address[0], MAX_CONNECTIONS)
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()


def make_handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    """A request handler class for ``http.server`` that hands requests to ``receiver``."""

    class Handler(BaseHTTPRequestHandler):
        server_version = "jenkinsgen-release"
        protocol_version = "HTTP/1.1"
        timeout = REQUEST_DEADLINE  # each read; the deadline below bounds the whole request

        def handle_one_request(self) -> None:
            timer = threading.Timer(REQUEST_DEADLINE, self._expire)
            timer.daemon = True
            self._timer = timer
            timer.start()
            try:
                super().handle_one_request()
            finally:
                timer.cancel()

        def _expire(self) -> None:
            """The request took too long to arrive: end the connection under its reader."""
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)

        def _serve(self) -> None:
            try:
                body = self._body()
                if isinstance(body, Response):
                    self.close_connection = True  # the body was not read: never parse it
                    self._send(body)
                    return
                self._timer.cancel()  # the request is in: answering may take its time
                self._send(receiver.handle(self.command, self.path, self._headers(), body))
            except OSError:
                self.close_connection = True
            except Exception:
                log.exception("%s %s: unexpected failure", self.command, self._path_for_log())
                self.close_connection = True
                self._send(error_response(500, "internal error (logged)"))

        def _body(self) -> bytes | Response:
            if self.headers.get_all("Transfer-Encoding"):
                return error_response(411, "send the body with a Content-Length")
            lengths = self.headers.get_all("Content-Length") or []
            if not lengths:
                return b""
            if len(lengths) > 1 or not _LENGTH.fullmatch(lengths[0].strip()):
                return error_response(400, "bad Content-Length")
            size = int(lengths[0])
            if size > MAX_BODY:
                return error_response(413, f"the body is larger than {MAX_BODY} bytes")
            body = self.rfile.read(size)
            if len(body) != size:
                raise ConnectionResetError("the body ended early")
            return body

        def _headers(self) -> dict[str, str]:
            """Header names in lower case; two Authorization headers make an empty one."""
            headers: dict[str, str] = {}
            for name, value in self.headers.items():
                key = name.lower()
                headers[key] = "" if key == "authorization" and key in headers else value
            return headers

        def _send(self, response: Response) -> None:
            data = (json.dumps(response.body, indent=2, sort_keys=True) + "\n").encode()
            self.send_response(response.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for key, value in response.headers.items():
                self.send_header(key, value)
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        def _path_for_log(self) -> str:
            return self.path.split("?", 1)[0].translate(_CONTROL)

        def log_message(self, format: str, *args: Any) -> None:
            # The request line holds no secret (the token is only ever in a header).
            log.info("%s %s", self.address_string(), (format % args).translate(_CONTROL))

    for method in _METHODS:
        setattr(Handler, f"do_{method}", Handler._serve)
    return Handler
