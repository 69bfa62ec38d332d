"""The engine connection drops in the middle of a build stream: one error line, exit 1.

A forwarding socket (tests/dockerlib/sockproxy.py) passes the request to the real engine and
the answer back only up to the first chunk of the streamed build output, then closes the
connection: what a crashed or restarted engine (or a dropped ssh:// tunnel) looks like.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import pytest

from jenkinsgen.errors import ImageError
from jenkinsgen.images import ImageInputs, build_image, push_image, push_reference
from tests.dockerlib.sockproxy import SocketProxy

pytestmark = pytest.mark.docker


class CutAfterFirstChunk(SocketProxy):
    """Forwards requests whole, and answers whole up to the first streamed (chunked) one:
    of that, the headers and the first body chunk only, then the connection is closed."""

    def __init__(self, path: Path, target: Path) -> None:
        super().__init__(path, target)
        self.cuts = 0

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:  # type: ignore[override]
        if src.getpeername() != str(self.target):  # the requests: pass them whole
            SocketProxy._pump(src, dst)
            return
        buf = b""
        try:
            while True:
                more = src.recv(65536)
                if not more:
                    dst.sendall(buf)
                    return
                buf += more
                while (cut := _complete_answer(buf)) is not None:
                    end, streamed = cut
                    dst.sendall(buf[:end])
                    buf = buf[end:]
                    if streamed:
                        self.cuts += 1
                        return
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


def _complete_answer(data: bytes) -> tuple[int, bool] | None:
    """(where to stop forwarding, whether to cut there) once ``data`` holds a whole answer
    (Content-Length) or the first chunk of a streamed one; None while more is needed."""
    head_end = data.find(b"\r\n\r\n")
    if head_end < 0:
        return None
    head = data[:head_end].lower()
    start = head_end + 4
    if b"transfer-encoding: chunked" not in head:
        length = 0
        for line in head.split(b"\r\n"):
            if line.startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        return (start + length, False) if len(data) >= start + length else None
    size_end = data.find(b"\r\n", start)
    if size_end < 0:
        return None
    size = int(data[start:size_end].split(b";")[0], 16)
    end = size_end + 2 + size + 2
    return (end, True) if len(data) >= end else None


@pytest.fixture
def cut_engine(docker_client: Any) -> Iterator[tuple[str, CutAfterFirstChunk]]:
    engine = Path("/var/run/docker.sock")
    with tempfile.TemporaryDirectory(prefix="jg-cut-") as tmp:
        proxy = CutAfterFirstChunk(Path(tmp) / "docker.sock", engine)
        proxy.start()
        try:
            yield f"unix://{proxy.path}", proxy
        finally:
            proxy.stop()


@pytest.fixture
def tag(docker_client: Any) -> Iterator[str]:
    name = f"jenkinsgen-test/cut-agent:{uuid.uuid4().hex[:10]}"
    yield name
    with contextlib.suppress(docker.errors.ImageNotFound):
        docker_client.images.remove(name, force=True)


def test_build_stream_cut_is_an_image_error(
    cut_engine: tuple[str, CutAfterFirstChunk], standin_agent_image: str, tag: str
) -> None:
    url, proxy = cut_engine
    client = docker.DockerClient(base_url=url)
    try:
        with pytest.raises(ImageError) as info:
            build_image(client, ImageInputs("agent"), tag, standin_agent_image, no_cache=True)
    finally:
        client.close()
    assert proxy.cuts >= 1
    message = str(info.value)
    assert message.startswith(f"building the agent image {tag} failed: ")
    assert "connection to the Docker engine was lost" in message
    assert "\n" not in message


def test_cli_reports_a_cut_build_in_one_line(
    cut_engine: tuple[str, CutAfterFirstChunk], standin_agent_image: str, tag: str
) -> None:
    url, proxy = cut_engine
    env = {**os.environ, "DOCKER_HOST": url}
    cmd = [sys.executable, "-m", "jenkinsgen.cli.main", "-q", "image", "build", "agent"]
    out = subprocess.run(
        [*cmd, "--base", standin_agent_image, "-t", tag, "--no-cache"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proxy.cuts >= 1
    assert out.returncode == 1 and "Traceback" not in out.stderr, out.stderr
    [line] = out.stderr.splitlines()
    assert line.startswith(f"error: building the agent image {tag} failed: "), line


def test_push_stream_cut_is_an_image_error(
    cut_engine: tuple[str, CutAfterFirstChunk], docker_client: Any, standin_agent_image: str
) -> None:
    """The push answer streams too (to a port where no registry listens: the engine's first
    status line arrives, then the connection drops)."""
    url, proxy = cut_engine
    registry = f"127.0.0.1:9/jg-cut-{uuid.uuid4().hex[:10]}"
    target = push_reference(standin_agent_image, registry)
    client = docker.DockerClient(base_url=url)
    try:
        with pytest.raises(ImageError) as info:
            push_image(client, standin_agent_image, registry)
    finally:
        client.close()
        with contextlib.suppress(docker.errors.ImageNotFound):
            docker_client.images.remove(target)
    assert proxy.cuts >= 1
    message = str(info.value)
    assert message.startswith(f"pushing {target} failed: "), message
    assert "\n" not in message
