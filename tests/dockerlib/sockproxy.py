"""A byte-for-byte forwarder from a new unix socket to an existing one (threads, no deps).

Tests need a Docker socket whose group id is chosen by the test (4242, 0, ...). The engine's
own socket has one fixed group, and a socket inode cannot be copied, so the test listens on a
fresh socket it can chgrp and forwards every connection, both directions, to the real engine.
Docker's API (including streamed builds and hijacked attach) is plain bytes over the stream.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from pathlib import Path


class SocketProxy:
    """Listen on ``path`` and forward each connection to the unix socket ``target``."""

    def __init__(self, path: Path, target: Path) -> None:
        self.path = path
        self.target = target
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()

    def start(self) -> None:
        self._server.bind(str(self.path))
        self._server.listen(64)
        thread = threading.Thread(target=self._accept, name=f"sockproxy:{self.path}", daemon=True)
        thread.start()
        self._threads.append(thread)

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                upstream.connect(str(self.target))
            except OSError:
                client.close()
                upstream.close()
                continue
            with self._lock:
                self._open.update((client, upstream))
            for src, dst in ((client, upstream), (upstream, client)):
                pump = threading.Thread(target=self._pump, args=(src, dst), daemon=True)
                pump.start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                dst.shutdown(socket.SHUT_WR)

    def stop(self) -> None:
        self._stopping.set()
        with contextlib.suppress(OSError):
            self._server.shutdown(socket.SHUT_RDWR)
        self._server.close()
        with self._lock:
            for sock in self._open:
                with contextlib.suppress(OSError):
                    sock.close()
            self._open.clear()
        for thread in self._threads:
            thread.join(timeout=5)
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
