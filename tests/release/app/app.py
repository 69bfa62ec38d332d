"""Test app for the release tests: answers its version on /, 200 (or 500) on /healthz.

Listens on $BIND:$PORT. ``GET /slow?seconds=N`` answers after N seconds (a long request in
flight during a switch). APP_HEALTH=fail makes /healthz answer 500 (a never-healthy image);
APP_HEALTH=exit makes the process exit at once (a container that cannot start).
"""

import os
import socket
import sys
import threading
import time

VERSION = os.environ.get("APP_VERSION", "unset")
HEALTH = os.environ.get("APP_HEALTH", "ok")


def respond(conn, status, body):
    reason = {200: "OK", 404: "Not Found", 500: "Internal Server Error"}[status]
    data = body.encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain\r\nContent-Length: {len(data)}\r\n"
    )
    conn.sendall(head.encode() + b"\r\n" + data)


def handle(conn):
    conn.settimeout(30)
    buf = b""
    try:
        while True:
            while b"\r\n\r\n" not in buf:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                buf += chunk
            head, _, buf = buf.partition(b"\r\n\r\n")
            line = head.split(b"\r\n", 1)[0].decode("latin-1")
            parts = line.split(" ")
            path = parts[1] if len(parts) > 1 else "/"
            close = b"connection: close" in head.lower()
            if path == "/healthz":
                if HEALTH == "ok":
                    respond(conn, 200, "ok\n")
                else:
                    respond(conn, 500, "unhealthy\n")
            elif path.startswith("/slow"):
                seconds = float(path.partition("seconds=")[2] or "3")
                time.sleep(seconds)
                respond(conn, 200, VERSION + "\n")
            elif path == "/" or path.startswith("/?"):
                respond(conn, 200, VERSION + "\n")
            else:
                respond(conn, 404, "not found\n")
            if close:
                return
    except OSError:
        return
    finally:
        conn.close()


def main():
    if HEALTH == "exit":
        print("app: refusing to start (APP_HEALTH=exit)", flush=True)
        sys.exit(3)
    port = int(os.environ["PORT"])
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((os.environ.get("BIND", "0.0.0.0"), port))
    server.listen(128)
    print(f"app {VERSION} listening on {port}", flush=True)
    while True:
        conn, _ = server.accept()
        threading.Thread(target=handle, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()
