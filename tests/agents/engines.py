"""A second, private Docker engine for multi-host tests: its own dockerd on a unix socket.

Everything it needs lives in one temporary directory (socket, data root, exec root, pid file,
log); it runs with no iptables and no bridge (containers use the host network, as on this
machine's main engine) and its own containerd namespaces, so it shares nothing with the main
engine but the kernel.  ``stop`` removes its containers, stops the daemon, unmounts anything
left and deletes the directory.

Cleanup also holds when pytest itself is killed: the daemon gets SIGTERM when the process that
started it dies (``PR_SET_PDEATHSIG``), and :func:`sweep_orphans`, run before a new engine
starts, removes the directories of earlier engines whose daemon is gone.
"""

from __future__ import annotations

import contextlib
import ctypes
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import docker


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_tls(where: Path) -> Path:
    """A throwaway CA, a server certificate for 127.0.0.1 and a client certificate.

    Returns the client directory (``ca.pem``, ``cert.pem``, ``key.pem``, as the docker CLI
    expects); the server files stay in ``where``.
    """
    where.mkdir(parents=True)
    client = where / "client"
    client.mkdir()
    _openssl(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=jenkinsgen-test-ca",
        "-keyout",
        "ca-key.pem",
        "-out",
        "ca.pem",
        cwd=where,
    )
    for name, ext in (
        ("server", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth"),
        ("client", "extendedKeyUsage=clientAuth"),
    ):
        _openssl(
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            f"/CN={name}",
            "-keyout",
            f"{name}-key.pem",
            "-out",
            f"{name}.csr",
            cwd=where,
        )
        (where / f"{name}.ext").write_text(ext + "\n")
        _openssl(
            "x509",
            "-req",
            "-in",
            f"{name}.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca-key.pem",
            "-CAcreateserial",
            "-days",
            "1",
            "-extfile",
            f"{name}.ext",
            "-out",
            f"{name}.pem",
            cwd=where,
        )
    shutil.copy(where / "ca.pem", client / "ca.pem")
    shutil.copy(where / "client.pem", client / "cert.pem")
    shutil.copy(where / "client-key.pem", client / "key.pem")
    return client


PREFIX = "jg-d2-"
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the child before exec: get SIGTERM when the starting process goes away."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def _daemon_alive(root: Path) -> bool:
    """Whether a dockerd serving ``root`` still runs (judged by its command line)."""
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        if str(root).encode() in cmdline and (b"dockerd" in cmdline or b"containerd" in cmdline):
            return True
    return False


def _unmount_under(root: Path) -> None:
    mounts = Path("/proc/self/mounts").read_text().splitlines()
    points = [m.split()[1] for m in mounts if len(m.split()) > 1]
    for point in sorted((p for p in points if p.startswith(str(root))), reverse=True):
        subprocess.run(["umount", "-l", point], check=False, capture_output=True)


def sweep_orphans(tmp: Path = Path("/tmp"), min_age: float = 120.0) -> list[Path]:
    """Remove second-engine directories left by a killed run (older than ``min_age`` seconds,
    no daemon serving them); returns what was removed."""
    removed = []
    now = time.time()
    for root in tmp.glob(PREFIX + "*"):
        try:
            if not root.is_dir() or now - root.stat().st_mtime < min_age:
                continue
        except OSError:
            continue
        if _daemon_alive(root):
            continue
        _unmount_under(root)
        shutil.rmtree(root, ignore_errors=True)
        removed.append(root)
    return removed


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class SecondEngine:
    """``dockerd`` on ``unix://<tmp>/docker.sock`` and, with TLS, on ``tcp://127.0.0.1:PORT``."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix=PREFIX, dir="/tmp"))
        self.socket = self.root / "docker.sock"
        self.url = f"unix://{self.socket}"
        self.tls_port = _free_port()
        self.tls_url = f"tcp://127.0.0.1:{self.tls_port}"
        self.client_certs = self.root / "tls" / "client"
        self.proc: subprocess.Popen[bytes] | None = None
        self.client: Any = None

    def start(self, timeout: float = 60.0) -> SecondEngine:
        name = "jgd2" + uuid.uuid4().hex[:8]
        tls = self.root / "tls"
        make_tls(tls)
        log = open(self.root / "dockerd.log", "wb")  # noqa: SIM115 - closed with the process
        self.proc = subprocess.Popen(
            [
                "dockerd",
                f"--host={self.url}",
                f"--host={self.tls_url}",
                "--tlsverify",
                f"--tlscacert={tls / 'ca.pem'}",
                f"--tlscert={tls / 'server.pem'}",
                f"--tlskey={tls / 'server-key.pem'}",
                f"--data-root={self.root / 'data'}",
                f"--exec-root={self.root / 'exec'}",
                f"--pidfile={self.root / 'dockerd.pid'}",
                "--iptables=false",
                "--ip6tables=false",
                "--bridge=none",
                f"--containerd-namespace={name}",
                f"--containerd-plugins-namespace={name}-plugins",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"second dockerd exited: {self.log_tail()}")
            if self.socket.exists():
                client = docker.DockerClient(base_url=self.url, timeout=30)
                try:
                    client.ping()
                    self.client = client
                    return self
                except docker.errors.DockerException:
                    client.close()
            if time.monotonic() > deadline:
                raise RuntimeError(f"second dockerd did not answer: {self.log_tail()}")
            time.sleep(0.2)

    def log_tail(self, lines: int = 15) -> str:
        path = self.root / "dockerd.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def load_image(self, source: Any, tag: str) -> None:
        """Copy ``tag`` from engine ``source`` (docker save | docker load)."""
        stream = source.api.get_image(tag)  # saved by name, so the tag travels with it
        self.client.api.load_image(b"".join(stream))
        self.client.images.get(tag)

    def stop(self) -> None:
        try:
            if self.client is not None:
                for c in self.client.containers.list(all=True):
                    with contextlib.suppress(docker.errors.DockerException):
                        c.remove(force=True)
                self.client.close()
        finally:
            if self.proc is not None and self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(timeout=10)
            _unmount_under(self.root)
            shutil.rmtree(self.root, ignore_errors=True)
