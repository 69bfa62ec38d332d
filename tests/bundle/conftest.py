"""Fixtures of the bundle tests: the real update center, real-manifest plugin archives, and a
threaded HTTP server on 127.0.0.1 that serves them and can fail on demand."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from jenkinsgen.bundle import updatecenter
from jenkinsgen.bundle.updatecenter import UpdateCenter
from tests.bundle.archives import (
    SYNTHETIC,
    Catalogue,
    PluginServer,
    b64sha256,
    make_hpi,
    manifest_text,
)


@pytest.fixture(scope="session")
def versions_path(test_data: Path) -> Path:
    return test_data / "update-center" / "plugin-versions.zip"


@pytest.fixture(scope="session")
def real_center(uc_path: Path) -> UpdateCenter:
    """The real update center (newest releases only)."""
    return updatecenter.load(str(uc_path))


@pytest.fixture(scope="session")
def full_center(uc_path: Path, versions_path: Path) -> UpdateCenter:
    """The real update center plus every release from plugin-versions.json."""
    return updatecenter.load(str(uc_path), str(versions_path))


@pytest.fixture
def server() -> Iterator[PluginServer]:
    """A threaded HTTP server on 127.0.0.1 (random port), stopped after the test."""
    state = PluginServer(base="")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            with state.lock:
                state.hits[path] += 1
                queue = state.faults.get(path) or []
                fault = queue.pop(0) if queue else None
            body = state.files.get(path)
            with state.lock:
                state.in_flight += 1
                state.max_in_flight = max(state.max_in_flight, state.in_flight)
            try:
                time.sleep(state.delay)
                self._answer(fault, body)
            finally:
                with state.lock:
                    state.in_flight -= 1

        def _answer(self, fault: str | None, body: bytes | None) -> None:
            if fault in ("500", "503", "404") or body is None:
                code = int(fault) if fault in ("500", "503", "404") else 404
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/java-archive")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if fault == "truncate":
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    state.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(10)


@pytest.fixture
def catalogue(server: PluginServer, test_data: Path, tmp_path: Path) -> Catalogue:
    """Archives built from the real manifests, served by ``server``, and their update center."""
    manifests = {
        p.name.split(".")[0]: p.read_text(encoding="utf-8")
        for p in (test_data / "manifests").glob("*.MANIFEST.MF")
    }
    plugins: dict[str, Any] = {}
    archives: dict[str, bytes] = {}
    for name, version, base, deps, core in SYNTHETIC:
        dependency_text = ",".join(
            d.rsplit(":", 1)[0] + ";resolution:=optional" if d.endswith(":optional") else d
            for d in deps
        )
        attributes = {
            "Short_Name": name,
            "Plugin_Version": version,
            "Jenkins_Version": core,
            "Extension_Name": name,
            "Implementation_Title": name,
        }
        if dependency_text:
            attributes["Plugin_Dependencies"] = dependency_text
        data = make_hpi(manifest_text(manifests[base], **attributes))
        path = f"/download/plugins/{name}/{version}/{name}.hpi"
        server.files[path] = data
        archives[name] = data
        plugins[name] = {
            "name": name,
            "version": version,
            "url": server.url(path),
            "sha256": b64sha256(data),
            "requiredCore": core,
            "dependencies": [
                {
                    "name": d.split(":")[0],
                    "version": d.split(":")[1],
                    "optional": d.endswith(":optional"),
                }
                for d in deps
            ],
        }
    document = {"id": "test", "core": {"version": "2.249.3"}, "plugins": plugins, "warnings": []}
    return Catalogue(server, document, archives, tmp_path / "update-center.json")
