"""Load generator of the release tests and bench, run as a process of its own.

    python -m tests.release.loadgen URL HOST OUT [--workers N] [--slow SECONDS]
        [--pause SECONDS] [--max-seconds S] [--max-requests N]

Sends GET URL with ``Host: HOST`` from N workers over keep-alive connections, and, with
``--slow``, keeps one ``/slow?seconds=S`` request in flight at all times (so a long request
is running on the old slot when it is drained and removed). Stops on SIGTERM or SIGINT, or
at the bounds. Writes one JSON line per request to OUT: ``[start, end, kind, status, text]``
(times from ``time.monotonic()``, which all processes of a Linux machine share; status 0 is
a connection error, ``text`` the body or the error). Prints ``ready`` once the first answer
arrived.
"""

from __future__ import annotations

import argparse
import http.client
import json
import signal
import sys
import threading
import time
from typing import Any
from urllib.parse import urlsplit

_stop = threading.Event()


def _worker(
    host: str, port: int, path: str, vhost: str, pause: float, out: list[Any], budget: list[int]
) -> None:
    conn: http.client.HTTPConnection | None = None
    kind = "slow" if path.startswith("/slow") else "fast"
    while not _stop.is_set() and budget[0] > 0:
        budget[0] -= 1
        if conn is None:
            conn = http.client.HTTPConnection(host, port, timeout=60)
        start = time.monotonic()
        try:
            conn.request("GET", path, headers={"Host": vhost})
            response = conn.getresponse()
            body = response.read().decode("utf-8", "replace").strip()
            out.append([start, time.monotonic(), kind, response.status, body])
            if response.will_close:
                conn.close()
                conn = None
        except (OSError, http.client.HTTPException) as exc:
            out.append([start, time.monotonic(), kind, 0, f"{type(exc).__name__}: {exc}"])
            conn.close()
            conn = None
        if pause:
            time.sleep(pause)
    if conn is not None:
        conn.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("host")
    parser.add_argument("out")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--slow", type=float, default=0.0)
    parser.add_argument("--pause", type=float, default=0.005)
    parser.add_argument("--max-seconds", type=float, default=300.0)
    parser.add_argument("--max-requests", type=int, default=400_000)
    args = parser.parse_args(argv)
    parts = urlsplit(args.url)
    assert parts.hostname == "127.0.0.1", "test traffic stays on loopback"
    port = parts.port or 80
    path = parts.path or "/"
    signal.signal(signal.SIGTERM, lambda *_: _stop.set())
    signal.signal(signal.SIGINT, lambda *_: _stop.set())
    results: list[Any] = []
    budget = [args.max_requests]
    threads = [
        threading.Thread(
            target=_worker,
            args=(parts.hostname, port, path, args.host, args.pause, results, budget),
            daemon=True,
        )
        for _ in range(args.workers)
    ]
    if args.slow:
        slow_path = f"/slow?seconds={args.slow}"
        threads.append(
            threading.Thread(
                target=_worker,
                args=(parts.hostname, port, slow_path, args.host, 0.0, results, budget),
                daemon=True,
            )
        )
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + args.max_seconds
    announced = False
    while not _stop.is_set() and time.monotonic() < deadline and budget[0] > 0:
        if not announced and results:
            print("ready", flush=True)
            announced = True
        time.sleep(0.01)
    _stop.set()
    for thread in threads:
        thread.join(timeout=90)
    with open(args.out, "w", encoding="utf-8") as handle:
        for row in list(results):
            handle.write(json.dumps(row) + "\n")
    if not announced:
        print("ready", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
