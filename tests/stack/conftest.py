"""Stack area: stack directories made by `jenkinsgen init` on free loopback ports, and what
`jenkinsgen up` needs offline (a lock of local plugin archives, a wheel of this checkout, the
stand-in and Debian images as bases and as REGISTRY_IMAGE / PROXY_IMAGE)."""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import pytest
from click.testing import CliRunner, Result

from jenkinsgen.bundle.pluginlist import load as load_plugin_list
from jenkinsgen.cli.main import cli
from jenkinsgen.stack.build import STACK_LABEL
from tests.dockerlib import base
from tests.images.bundlelock import write_file_lock


def free_ports(count: int) -> list[int]:
    """``count`` distinct ports free on 127.0.0.1 right now."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for sock in sockets:
            sock.close()


def free_block(size: int, after: int = 0) -> int:
    """The first port of ``size`` consecutive ports free on 127.0.0.1 (from 20000, or above
    ``after``, up)."""
    start = max(20000 + (os.getpid() % 200) * 100, after + 1)
    for first in range(start, 60000, size + 7):
        ok = True
        for port in range(first, first + size):
            with socket.socket() as sock:
                try:
                    sock.bind(("127.0.0.1", port))
                except OSError:
                    ok = False
                    break
        if ok:
            return first
    raise RuntimeError("no free port block")


def run_cli(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def init_args(directory: Path, folder: str = "delivery") -> list[str]:
    """`jenkinsgen init` options putting every port of the stack on free loopback ports."""
    jenkins, registry, receiver = free_ports(3)
    proxy = free_block(3)
    slots = free_block(300, after=proxy + 3)
    return [
        "init", str(directory), "--jenkins-port", str(jenkins), "--registry-port",
        str(registry), "--receiver-port", str(receiver), "--proxy-port", str(proxy),
        "--slot-port", str(slots), "--folder", folder,
    ]  # fmt: skip


def set_env(directory: Path, **values: str) -> None:
    """Change lines of the stack's .env (the user-editable settings file)."""
    env = directory / ".env"
    lines = env.read_text().splitlines()
    for name, value in values.items():
        lines = [f"{name}={value}" if line.startswith(f"{name}=") else line for line in lines]
    env.write_text("\n".join(lines) + "\n")


@dataclass(frozen=True)
class StackBases:
    """Images a test stack is built from and runs (cached test bases)."""

    controller: str
    agent: str
    seed: str
    registry: str
    proxy: str


@pytest.fixture(scope="session")
def stack_bases(docker_client: Any) -> StackBases:
    return StackBases(
        controller=base.standin_jenkins(docker_client),
        agent=base.standin_agent(docker_client),
        seed=base.pip_ready_base(docker_client),
        registry=base.stack_registry(docker_client),
        proxy=base.stack_haproxy(docker_client),
    )


@pytest.fixture(scope="session")
def plugins_lock_for(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Path], Path]:
    """A lock of local plugin archives holding every plugin of a stack's plugins.txt."""

    def make(plugins_txt: Path) -> Path:
        names = {r.name: "1.0" for r in load_plugin_list(plugins_txt)}
        return write_file_lock(tmp_path_factory.mktemp("lock"), names)

    return make


def remove_stack(client: Any, project: str, folder: str | None = None) -> None:
    """Remove every container, volume, network and image of a test stack, whatever state it
    was left in (a finalizer: `jenkinsgen down --volumes` may not have run)."""
    label = f"com.docker.compose.project={project}"
    for container in client.containers.list(all=True, filters={"label": label}):
        with contextlib.suppress(docker.errors.NotFound):
            container.remove(force=True, v=True)
    if folder is not None:
        released = {"label": f"io.jenkinsgen.release.folder={folder}"}
        for container in client.containers.list(all=True, filters=released):
            with contextlib.suppress(docker.errors.NotFound):
                container.remove(force=True, v=True)
    for volume in client.volumes.list(filters={"label": label}):
        with contextlib.suppress(docker.errors.NotFound):
            volume.remove(force=True)
    for network in client.networks.list(filters={"label": label}):
        with contextlib.suppress(docker.errors.NotFound, docker.errors.APIError):
            network.remove()
    for image in client.images.list(filters={"label": f"{STACK_LABEL}={project}"}):
        for tag in image.tags:
            with contextlib.suppress(docker.errors.ImageNotFound):
                client.images.remove(tag, force=True)
        with contextlib.suppress(docker.errors.ImageNotFound, docker.errors.APIError):
            client.images.remove(image.id, force=True)


@pytest.fixture
def sock(tmp_path: Path) -> Iterator[Path]:
    """A unix socket standing where the Docker socket would, with group 4242."""
    path = tmp_path / "docker.sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    if os.geteuid() == 0:
        os.chown(path, 0, 4242)
    try:
        yield path
    finally:
        server.close()
