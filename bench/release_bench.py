"""Release benchmark: switch latency (trigger → 100 % of requests on the new version) and the
requests served while switching, through the real receiver, HAProxy and Docker engine.

Run from the checkout: ``.venv/bin/python bench/release_bench.py [--runs N]``.
Needs the Docker engine and Debian's haproxy. Set-up as in tests/release: the test app
(python3 on the debootstrap base) in two version images, one environment on loopback ports,
``jenkinsgen release serve`` as a process, the load generator as another (3 keep-alive
workers and one 2 s request always in flight). Each run POSTs a trigger for the other
version (confirm: manual), follows the release until it awaits confirm, lets it serve, then
confirms it. From the load generator's own log: the switch is complete at the start of the
last request answered by the old version; requests and failures are counted from the
trigger to that moment, and for the confirm (drain and removal of the old slot).

The anchor is the floor of any switch on this engine: ``docker run -d`` of the same image
until its /healthz answers 2xx, with no proxy at all. Everything is removed at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import platform
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import docker

from tests.dockerlib import base
from tests.release.harness import (
    JENKINSGEN,
    ROOT,
    Load,
    World,
    build_version_images,
    free_range,
    remove_images,
)

_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def request(url: str, token: str, body: Any = None) -> dict[str, Any]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(
        url,
        data=data,
        method="POST" if data is not None or url.endswith(("/confirm", "/rollback")) else "GET",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with _OPENER.open(req, timeout=60) as response:
        return dict(json.loads(response.read()))


def wait_for(url: str, token: str, status: str) -> None:
    deadline = time.monotonic() + 120
    while request(url, token)["status"] != status:
        if time.monotonic() > deadline:
            raise SystemExit(f"{url} never reached {status}")
        time.sleep(0.05)


def anchor(client: Any, image: str) -> float:
    """Seconds from ``docker run -d`` until the app answers 2xx on /healthz."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    start = time.perf_counter()
    container = client.containers.run(
        image,
        detach=True,
        network_mode="host",
        environment={"PORT": str(port), "BIND": "127.0.0.1"},
        init=True,
    )
    try:
        while True:
            try:
                with _OPENER.open(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    if 200 <= r.status < 300:
                        return time.perf_counter() - start
            except (OSError, urllib.error.URLError):
                time.sleep(0.01)
    finally:
        container.remove(force=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    client = docker.from_env()
    repo = f"jenkinsgen-test/relbench-{uuid.uuid4().hex[:8]}"
    versions = {"v1": "ok", "v2": "ok"}
    root = Path(tempfile.mkdtemp(prefix="jg-bench-", dir="/tmp"))
    first = free_range(12)
    world = World(
        root=root,
        folder=f"relbench-{uuid.uuid4().hex[:8]}",
        repo=repo,
        images={},
        docker=client,
        listen=first + 10,
        first=first,
        last=first + 7,
        receiver_port=first + 11,
    )
    serve: subprocess.Popen[bytes] | None = None
    try:
        world.images = build_version_images(client, base.release_app(client), repo, versions)
        world.write_spec()
        world.start_haproxy()
        token = secrets.token_urlsafe(24)
        (root / "token").write_text(token)
        (root / "token").chmod(0o600)
        with open(root / "serve.log", "wb") as log:
            serve = subprocess.Popen(
                [
                    *JENKINSGEN,
                    "release",
                    "serve",
                    str(world.spec_path),
                    "--listen",
                    f"127.0.0.1:{world.receiver_port}",
                    "--token-file",
                    str(root / "token"),
                ],
                cwd=ROOT,
                stdout=log,
                stderr=log,
            )
        hook = f"http://127.0.0.1:{world.receiver_port}/hooks/orders"
        deadline = time.monotonic() + 20
        while True:
            try:
                with _OPENER.open(f"http://127.0.0.1:{world.receiver_port}/healthz", timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit((root / "serve.log").read_text()) from None
                time.sleep(0.1)
        first_release = request(hook, token, {"image": world.images["v1"], "environment": "prod"})
        wait_for(first_release["status_url"], token, "confirmed")
        anchors = [anchor(client, world.images["v2"]) for _ in range(args.runs)]

        load = Load(world, root / "load.jsonl", slow=2.0)
        runs: list[dict[str, Any]] = []
        try:
            time.sleep(1.0)
            for i in range(args.runs):
                new, old = ("v2", "v1") if i % 2 == 0 else ("v1", "v2")
                t0 = time.monotonic()
                release = request(hook, token, {"image": world.images[new], "environment": "prod"})
                wait_for(release["status_url"], token, "awaiting-confirm")
                t_reported = time.monotonic()
                time.sleep(2.0)
                c0 = time.monotonic()
                request(release["status_url"] + "/confirm", token)
                wait_for(release["status_url"], token, "confirmed")
                c1 = time.monotonic()
                time.sleep(1.0)
                runs.append(
                    {"new": new, "old": old, "t0": t0, "reported": t_reported, "c0": c0, "c1": c1}
                )
        finally:
            rows = load.stop()

        results = []
        for run in runs:
            old_version = run["old"]
            window = [r for r in rows if run["t0"] <= r[0] < run["c0"]]
            last_old = max((r[0] for r in window if r[4] == old_version), default=run["t0"])
            switch = [r for r in rows if run["t0"] <= r[0] <= last_old]
            drain = [r for r in rows if run["c0"] <= r[0] < run["c1"]]
            results.append(
                {
                    "latency": last_old - run["t0"],
                    "reported": run["reported"] - run["t0"],
                    "confirm": run["c1"] - run["c0"],
                    "switch_requests": len(switch),
                    "switch_failed": sum(1 for r in switch if not 200 <= r[3] < 300),
                    "confirm_requests": len(drain),
                    "confirm_failed": sum(1 for r in drain if not 200 <= r[3] < 300),
                }
            )
        failed = sum(1 for r in rows if not 200 <= r[3] < 300)
        info = client.info()
        print(
            f"python {platform.python_version()} on {platform.machine()}, {info.get('NCPU')} "
            f"CPUs, dockerd {info.get('ServerVersion')}, "
            f"{subprocess.run(['haproxy', '-v'], capture_output=True, text=True).stdout.split()[2]}"
            f" haproxy, {args.runs} runs, medians (min-max)\n"
        )

        def cell(key: str) -> str:
            values = [r[key] for r in results]
            return (
                f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"
                if isinstance(values[0], float)
                else f"{statistics.median(values):.0f} ({min(values)}-{max(values)})"
            )

        print("| measurement | median (min-max) |")
        print("| --- | ---: |")
        print(f"| anchor: docker run -d → /healthz 2xx, s | {cell_of(anchors)} |")
        print(f"| trigger → 100 % of requests on the new version, s | {cell('latency')} |")
        print(f"| trigger → receiver reports awaiting-confirm, s | {cell('reported')} |")
        print(f"| requests served during the switch | {cell('switch_requests')} |")
        print(f"| of them failed | {cell('switch_failed')} |")
        print(f"| confirm (drain, remove the old slot), s | {cell('confirm')} |")
        print(f"| requests served during the confirm | {cell('confirm_requests')} |")
        print(f"| of them failed | {cell('confirm_failed')} |")
        print(f"\nwhole run: {len(rows)} requests, {failed} failed")
    finally:
        if serve is not None and serve.poll() is None:
            serve.send_signal(signal.SIGTERM)
            try:
                serve.wait(60)
            except subprocess.TimeoutExpired:
                serve.kill()
                serve.wait()
        if world.haproxy is not None:
            world.haproxy.stop()
        for container in world.our_containers():
            with contextlib.suppress(docker.errors.NotFound):
                container.remove(force=True)
        remove_images(client, [f"{repo}:{v}" for v in versions])
        shutil.rmtree(root, ignore_errors=True)
        client.close()


def cell_of(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"


if __name__ == "__main__":
    main()
