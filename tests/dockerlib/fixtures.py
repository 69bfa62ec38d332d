"""pytest fixtures for tests that use the real Docker engine (registered in tests/conftest.py).

* ``docker_client``: the engine from the environment; skips when it is unreachable, except
  under CI=true where that is a failure (CI starts dockerd in scripts/ci-services.sh).
* ``debian_base_image`` / ``standin_jenkins_image`` / ``standin_agent_image`` /
  ``pip_base_image``: cached bases (see tests/dockerlib/base.py).
* ``jenkinsgen_wheel``: a wheel of this checkout (what the seed image installs).
* ``docker_cleanup``: records containers and images a test makes and removes them afterwards.
* ``local_registry``: Debian's ``docker-registry`` with htpasswd (bcrypt) auth on 127.0.0.1.
* ``socket_with_gid``: a factory of Docker sockets owned by any gid (a forwarding proxy).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker
import pytest

from tests.dockerlib import base
from tests.dockerlib.sockproxy import SocketProxy


@pytest.fixture(scope="session")
def docker_client() -> Iterator[Any]:
    try:
        client = docker.from_env()
        client.ping()
    except docker.errors.DockerException as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Docker engine not reachable under CI: {exc}")
        pytest.skip(f"Docker engine not reachable: {exc}")
    try:
        yield client
    finally:
        client.close()


@pytest.fixture(scope="session")
def debian_base_image(docker_client: Any) -> str:
    return base.debian_base(docker_client)


@pytest.fixture(scope="session")
def standin_jenkins_image(docker_client: Any) -> str:
    return base.standin_jenkins(docker_client)


@pytest.fixture(scope="session")
def standin_agent_image(docker_client: Any) -> str:
    return base.standin_agent(docker_client)


@pytest.fixture(scope="session")
def pip_base_image(docker_client: Any) -> str:
    return base.pip_ready_base(docker_client)


@pytest.fixture(scope="session")
def jenkinsgen_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel of this very checkout, as `make seed-image` builds it (pip with hatchling)."""
    where = tmp_path_factory.mktemp("wheel")
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--wheel-dir",
            str(where),
            str(root),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    [wheel] = where.glob("jenkinsgen-*.whl")
    return wheel


@dataclass
class DockerCleanup:
    """Containers and image tags to remove when the test ends, pass or fail."""

    client: Any
    containers: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)

    def name(self, prefix: str = "jgtest") -> str:
        """A unique name for a container or image this test will make (and have removed)."""
        return f"{prefix}-{uuid.uuid4().hex[:10]}"

    def run(self, image: str, **kwargs: Any) -> Any:
        """``containers.run`` detached on the host network, registered for removal."""
        kwargs.setdefault("name", self.name())
        kwargs.setdefault("network_mode", "host")
        container = self.client.containers.run(image, detach=True, **kwargs)
        self.containers.append(container.id)
        return container

    def close(self) -> None:
        for cid in self.containers:
            with contextlib.suppress(docker.errors.NotFound):
                self.client.containers.get(cid).remove(force=True, v=True)
        for tag in self.images:
            with contextlib.suppress(docker.errors.ImageNotFound):
                self.client.images.remove(tag, force=True)


@pytest.fixture
def docker_cleanup(docker_client: Any) -> Iterator[DockerCleanup]:
    cleanup = DockerCleanup(docker_client)
    try:
        yield cleanup
    finally:
        cleanup.close()


@pytest.fixture(scope="session")
def session_cleanup(docker_client: Any) -> Iterator[DockerCleanup]:
    cleanup = DockerCleanup(docker_client)
    try:
        yield cleanup
    finally:
        cleanup.close()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Registry:
    """A running local registry and the credentials it accepts."""

    address: str
    username: str
    password: str


_REGISTRY_CONFIG = """\
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: {storage}
  delete:
    enabled: true
http:
  addr: {address}
  secret: {secret}
auth:
  htpasswd:
    realm: jenkinsgen-test
    path: {htpasswd}
"""


@pytest.fixture(scope="session")
def local_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    """Distribution v2 (Debian docker-registry) with bcrypt htpasswd auth on a loopback port."""
    binary = shutil.which("docker-registry")
    htpasswd = shutil.which("htpasswd")
    if binary is None or htpasswd is None:
        if os.environ.get("CI") == "true":
            pytest.fail("docker-registry / htpasswd missing (scripts/ci-services.sh installs them)")
        pytest.skip("docker-registry or htpasswd (apache2-utils) not installed")
    root = tmp_path_factory.mktemp("registry")
    username, password = "jgpush", secrets.token_urlsafe(16)
    subprocess.run(
        [htpasswd, "-B", "-i", "-c", str(root / "htpasswd"), username],
        input=password.encode(),
        check=True,
        capture_output=True,
    )
    address = f"127.0.0.1:{free_port()}"
    config = root / "config.yml"
    config.write_text(
        _REGISTRY_CONFIG.format(
            storage=root / "storage",
            address=address,
            secret=secrets.token_hex(16),
            htpasswd=root / "htpasswd",
        )
    )
    log = open(root / "registry.log", "wb")  # noqa: SIM115 - closed in finally
    process = subprocess.Popen([binary, "serve", str(config)], stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", int(address.split(":")[1])), 0.5):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        "registry did not start: " + (root / "registry.log").read_text()
                    ) from None
                time.sleep(0.1)
        yield Registry(address, username, password)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture
def socket_with_gid() -> Iterator[Callable[[int], Path]]:
    """Factory: a Docker socket (forwarding to the real one) owned by root:<gid>, mode 0660.

    A socket's group cannot be changed per container, so each call starts a small proxy on a
    new socket in a temp dir and chgrps that one; containers bind-mount it as
    /var/run/docker.sock. All proxies stop and the temp dirs go when the test ends.
    """
    proxies: list[SocketProxy] = []
    dirs: list[Path] = []

    def make(gid: int) -> Path:
        where = Path(tempfile.mkdtemp(prefix="jgsock-", dir="/var/tmp"))
        dirs.append(where)
        path = where / "docker.sock"
        proxy = SocketProxy(path, Path("/var/run/docker.sock"))
        proxy.start()
        proxies.append(proxy)
        os.chown(path, 0, gid)
        path.chmod(0o660)
        return path

    try:
        yield make
    finally:
        for proxy in proxies:
            proxy.stop()
        for where in dirs:
            shutil.rmtree(where, ignore_errors=True)
