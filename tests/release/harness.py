"""What the release tests run: Debian's HAProxy, the test app's version images, a spec for
one environment on loopback ports, the load generator as a second process.

Every piece is removed by the fixture that made it (tests/release/conftest.py), pass or fail.
"""

from __future__ import annotations

import contextlib
import http.client
import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker

from jenkinsgen.release.haproxy import RuntimeApi
from jenkinsgen.release.site import Hooks, Site
from jenkinsgen.spec import Spec, load_spec

ROOT = Path(__file__).resolve().parent.parent.parent
JENKINSGEN = [sys.executable, "-m", "jenkinsgen.cli.main"]


def free_range(count: int) -> int:
    """The first of ``count`` consecutive loopback ports that are free now."""
    for _ in range(200):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            first = int(probe.getsockname()[1])
        if first + count > 65000:
            continue
        ok = True
        for port in range(first, first + count):
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", port))
                except OSError:
                    ok = False
                    break
        if ok:
            return first
    raise RuntimeError("no free port range")


class HAProxy:
    """Debian's haproxy in the foreground (``-db``) on the given configuration."""

    def __init__(self, config: Path, socket_path: Path, log: Path) -> None:
        self.config, self.socket_path, self.log_path = config, socket_path, log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        check = subprocess.run(
            ["haproxy", "-c", "-q", "-f", str(self.config)], capture_output=True, text=True
        )
        assert check.returncode == 0, check.stdout + check.stderr
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                ["haproxy", "-db", "-f", str(self.config)], stdout=log, stderr=log
            )
        api = RuntimeApi(str(self.socket_path))
        deadline = time.monotonic() + 15
        while True:
            try:
                if "2." in api.command("show version"):
                    return
            except Exception:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("haproxy did not start: " + self.log_path.read_text())
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL, as a crash."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process = None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


SPEC = """\
version: 1
folder: {folder}
defaults: {{registry: jenkinsgen-test, registry_credentials: registry-push}}
environments:
  - name: dev
    branch: develop
  - name: prod
    branch: main
    deploy: manual
    approvers: [release-managers]
    release:
      network: {network}
      confirm: {confirm}
      ports: {first}-{last}
      proxy:
        listen: 127.0.0.1:{listen}
        admin_socket: {root}/haproxy.sock
        config: {root}/haproxy.cfg
      state_dir: {root}/state
      drain_timeout: 30
services:
  - name: orders
    repo: https://git.example.com/acme/orders.git
    build: make
    image: {{name: {repo}}}
    trigger: {{webhook: "http://127.0.0.1:{receiver}/hooks/orders", credentials: deploy-token}}
    run:
      port: 8080
      health: /healthz
      health_timeout: {health_timeout}
      hosts: [orders, orders.example.com]
      env: {{BIND: {bind}}}
  - name: payments
    repo: https://git.example.com/acme/payments.git
    build: make
    image: {{name: {repo}-payments}}
    trigger: {{webhook: "http://127.0.0.1:{receiver}/hooks/payments", credentials: deploy-token}}
    run: {{health_timeout: {health_timeout}, env: {{BIND: {bind}}}}}
"""


@dataclass
class World:
    """One release environment ("prod") of a unique spec folder, its HAProxy and images."""

    root: Path
    folder: str
    repo: str  # image repository of the orders service: jenkinsgen-test/<repo>
    images: dict[str, str]  # version → image reference
    docker: Any
    listen: int = 0
    first: int = 0
    last: int = 0
    receiver_port: int = 0
    confirm: str = "manual"
    network: str = "host"
    haproxy: HAProxy | None = None
    spec_path: Path = field(default_factory=Path)
    tags: list[str] = field(default_factory=list)  # extra image tags, removed at the end

    def tag(self, image: str, repository: str, tag: str) -> str:
        """Give ``image`` one more tag (removed with the world)."""
        self.docker.images.get(image).tag(repository, tag)
        self.tags.append(f"{repository}:{tag}")
        return f"{repository}:{tag}"

    def write_spec(self, **overrides: Any) -> Spec:
        values = {
            "folder": self.folder,
            "network": self.network,
            "confirm": self.confirm,
            "first": self.first,
            "last": self.last,
            "listen": self.listen,
            "root": self.root,
            "repo": self.repo.split("/", 1)[1],
            "receiver": self.receiver_port,
            "health_timeout": 20,
            "bind": "127.0.0.1" if self.network == "host" else "0.0.0.0",
        }
        values.update(overrides)
        self.spec_path = self.root / "jenkinsgen.yaml"
        self.spec_path.write_text(SPEC.format(**values), encoding="utf-8")
        return load_spec(self.spec_path)

    @property
    def spec(self) -> Spec:
        return load_spec(self.spec_path)

    def site(self, hooks: Hooks | None = None) -> Site:
        return Site(self.spec, "prod", self.docker, hooks=hooks)

    def start_haproxy(self) -> HAProxy:
        self.site().sync_config()
        self.haproxy = HAProxy(
            self.root / "haproxy.cfg", self.root / "haproxy.sock", self.root / "haproxy.log"
        )
        self.haproxy.start()
        return self.haproxy

    def cli(
        self, *args: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """``jenkinsgen release ARGS`` as a process (its own stdout/stderr)."""
        return subprocess.run(
            [*JENKINSGEN, "release", *args],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env={**os.environ, **(env or {})},
            timeout=300,
        )

    def get(self, path: str = "/", host: str = "orders") -> tuple[int, str]:
        conn = http.client.HTTPConnection("127.0.0.1", self.listen, timeout=30)
        try:
            conn.request("GET", path, headers={"Host": host})
            response = conn.getresponse()
            return response.status, response.read().decode().strip()
        finally:
            conn.close()

    def versions(self, n: int = 20, host: str = "orders") -> set[str]:
        """The versions that answer ``n`` requests in a row (all must be 2xx)."""
        seen = set()
        for _ in range(n):
            status, body = self.get("/", host)
            assert status == 200, (status, body)
            seen.add(body)
        return seen

    def our_containers(self) -> list[Any]:
        return self.docker.containers.list(
            all=True, filters={"label": f"io.jenkinsgen.release.folder={self.folder}"}
        )


def build_version_images(
    client: Any, base_image: str, repo: str, versions: dict[str, str]
) -> dict[str, str]:
    """``repo:VERSION`` images FROM the app base, with APP_VERSION (and APP_HEALTH) set."""
    out = {}
    for version, health in versions.items():
        tag = f"{repo}:{version}"
        dockerfile = f"FROM {base_image}\nENV APP_VERSION={version} APP_HEALTH={health}\n"
        client.images.build(
            fileobj=io.BytesIO(dockerfile.encode()), tag=tag, network_mode="host", rm=True
        )
        out[version] = tag
    return out


def remove_images(client: Any, tags: list[str]) -> None:
    for tag in tags:
        with contextlib.suppress(docker.errors.ImageNotFound):
            client.images.remove(tag, force=True)


@dataclass
class Window:
    """What the load generator saw between two moments."""

    sent: int
    failed: int
    versions: dict[str, int]
    failures: list[Any]

    def __str__(self) -> str:
        return f"{self.sent} requests, {self.failed} failed, versions {self.versions}"


class Load:
    """The load generator process (tests/release/loadgen.py) against the HAProxy frontend."""

    def __init__(
        self, world: World, out: Path, slow: float = 3.0, workers: int = 3, host: str = "orders"
    ) -> None:
        self.out = out
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.release.loadgen",
                f"http://127.0.0.1:{world.listen}/",
                host,
                str(out),
                "--workers",
                str(workers),
                "--slow",
                str(slow),
                "--max-seconds",
                "400",
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if line.strip() != "ready":
            self.kill()
            raise AssertionError(f"the load generator did not start: {line!r}")
        self.rows: list[Any] = []

    def stop(self) -> list[Any]:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        self.process.wait(120)
        if self.process.stdout is not None:
            self.process.stdout.close()
        self.rows = [json.loads(line) for line in self.out.read_text().splitlines()]
        return self.rows

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()

    def window(self, start: float, end: float) -> Window:
        rows = [r for r in self.rows if start <= r[0] < end]
        failed = [r for r in rows if not 200 <= r[3] < 300]
        versions: dict[str, int] = {}
        for r in rows:
            if 200 <= r[3] < 300:
                versions[r[4]] = versions.get(r[4], 0) + 1
        return Window(len(rows), len(failed), versions, failed[:5])


def kind(script: str) -> str:
    """Which of the pipeline's shell scripts ``script`` is (trigger, wait, settle)."""
    if "DEPLOY_WEBHOOK" in script:
        return "trigger"
    if "wanted='awaiting-confirm confirmed'" in script:
        return "wait-switch"
    if "wanted=confirmed\n" in script:
        return "wait-confirmed"
    if "JENKINSGEN_RELEASE_ACTION" in script:
        return "settle"
    return "other"
