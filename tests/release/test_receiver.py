"""``jenkinsgen release serve``, the deploy-trigger receiver, as a real process.

It is triggered by the very shell script the rendered Jenkinsfile runs in its Deploy trigger
stage (taken from the Jenkinsfile as Groovy 2.4 parses it, run with real curl in a Git
checkout whose commit names the image tag), and by plain HTTP for the other cases:
401 / 400 / 404 / 405 / 409 / 200 / 202, confirm and rollback, two triggers at once.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from jenkinsgen.plan import plan
from jenkinsgen.render.jenkinsfile import render_jenkinsfile
from tests.release.harness import JENKINSGEN, ROOT, World, kind
from tests.render.groovy_ast import GroovyParser

pytestmark = [pytest.mark.docker, pytest.mark.slow]
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass
class Served:
    url: str
    token: str
    log: Path
    process: subprocess.Popen[bytes]

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        token: str | None = "",
        raw: bytes | None = None,
        auth: str | None = None,
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        headers = {"Content-Type": "application/json"}
        if auth is not None:
            headers["Authorization"] = auth
        elif token is not None:
            headers["Authorization"] = f"Bearer {token or self.token}"
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        try:
            with _OPENER.open(request, timeout=60) as response:
                return response.status, json.loads(response.read()), dict(response.headers)
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read()), dict(exc.headers)

    def wait(self, release_id: str, *statuses: str, timeout: float = 90) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            code, body, _ = self.request("GET", f"/releases/{release_id}")
            assert code == 200, body
            if body["status"] in statuses:
                return body
            assert time.monotonic() < deadline, body
            time.sleep(0.2)


@pytest.fixture(scope="module")
def groovy() -> Iterator[GroovyParser]:
    from tests.render.groovy_ast import find_groovy

    launcher = find_groovy()
    if launcher is None:
        pytest.fail("groovy not found on PATH (Debian package 'groovy')")
    parser = GroovyParser(launcher)
    try:
        yield parser
    finally:
        parser.close()


@pytest.fixture
def serve(world: World) -> Iterator[Served]:
    token = secrets.token_urlsafe(24)
    token_file = world.root / "deploy-token"
    token_file.write_text(token + "\n")
    token_file.chmod(0o600)
    log = world.root / "receiver.log"
    with open(log, "wb") as handle:
        process = subprocess.Popen(
            [
                *JENKINSGEN,
                "-v",
                "release",
                "serve",
                str(world.spec_path),
                "--listen",
                f"127.0.0.1:{world.receiver_port}",
                "--token-file",
                str(token_file),
            ],
            cwd=ROOT,
            stdout=handle,
            stderr=handle,
        )
    served = Served(f"http://127.0.0.1:{world.receiver_port}", token, log, process)
    deadline = time.monotonic() + 20
    while True:
        try:
            if served.request("GET", "/healthz", token=None)[0] == 200:
                break
        except OSError:
            pass
        assert process.poll() is None and time.monotonic() < deadline, log.read_text()
        time.sleep(0.1)
    try:
        yield served
    finally:
        running = process.poll() is None
        if running:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        text = log.read_text()
        assert token not in text, "the token reached the receiver's log"
        assert not running or (process.returncode == 0 and "receiver stopped" in text), text


def _deploy_script(world: World, groovy: GroovyParser) -> str:
    """The Deploy trigger stage's script of the prod job, as Jenkins hands it to sh."""
    p = plan(world.spec)
    [job] = [
        j
        for j in p.jobs
        if j.service is not None
        and j.service.name == "orders"
        and [e.name for e in j.environments] == ["prod"]
    ]
    summary = groovy.parse(render_jenkinsfile(p, job))
    assert summary.ok, summary.errors
    [script] = [s for s in summary.shell_commands() if "DEPLOY_WEBHOOK" in s]
    return script


def _checkout(world: World, tmp: Path) -> tuple[Path, str]:
    work = tmp / "checkout"
    work.mkdir()
    git = ["git", "-C", str(work), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "init"], check=True)
    head = subprocess.run(
        [*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True
    ).stdout.strip()
    world.tag(world.images["v2"], world.repo, head)
    return work, head


def test_receiver_runs_releases_for_the_pipelines_trigger(
    world: World, serve: Served, groovy: GroovyParser, tmp_path: Path
) -> None:
    repo, images = world.repo, world.images
    records = world.root / "state" / "releases"

    # Nothing happens without the token: 401, no release, no container.
    trigger = {"image": images["v1"], "environment": "prod"}
    for auth in (
        None,
        "Bearer wrong",
        f"Basic {serve.token}",
        f"Bearer {serve.token}x",
        f"Bearer{serve.token}",
        "Bearer ",
    ):
        code, body, headers = serve.request("POST", "/hooks/orders", trigger, token=None, auth=auth)
        assert code == 401 and headers["WWW-Authenticate"] == "Bearer", (auth, body)
        assert body == {"error": "missing or wrong bearer token"}
    code, _, _ = serve.request("GET", "/releases/20250101-000000-abcdef", token="nope")
    assert code == 401
    assert not records.exists() or not list(records.iterdir())
    assert world.our_containers() == []

    # Bad requests: 400 with a message; unknown paths 404; wrong methods 405.
    bad: list[tuple[Any, str]] = [
        (b"not json", "not JSON"),
        ({"image": images["v1"]}, "the body must be"),
        ({**trigger, "extra": 1}, "the body must be"),
        ({"image": 1, "environment": "prod"}, "must be strings"),
        ({**trigger, "environment": "staging"}, "not served here"),
        ({**trigger, "environment": "dev"}, "not served here"),
        ({**trigger, "image": "registry.example.com/evil:1"}, f"image must be {repo}:TAG"),
        ({**trigger, "image": repo}, f"image must be {repo}:TAG"),
        ({**trigger, "image": repo + ":v1;rm -rf /"}, f"image must be {repo}:TAG"),
    ]
    for body, message in bad:
        raw = body if isinstance(body, bytes) else None
        code, answer, _ = serve.request("POST", "/hooks/orders", None if raw else body, raw=raw)
        assert code == 400 and message in answer["error"], (body, answer)
    assert serve.request("POST", "/hooks/nobody", trigger)[0] == 404
    assert serve.request("GET", "/hooks/orders")[0] == 405
    assert serve.request("GET", "/releases/not-an-id")[0] == 404
    assert serve.request("GET", "/releases/20250101-000000-abcdef")[0] == 404

    # The pipeline's own Deploy trigger script: the first release (commit-tagged image; the
    # commit is the one the Checkout stage recorded in JENKINSGEN_COMMIT).
    work, head = _checkout(world, tmp_path)
    script = _deploy_script(world, groovy)
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "IMAGE_REPO": repo,
        "JENKINSGEN_COMMIT": head,
        "DEPLOY_ENV": "prod",
        "DEPLOY_WEBHOOK": f"{serve.url}/hooks/orders",
        "DEPLOY_TOKEN": serve.token,
    }
    proc = subprocess.run(
        ["/bin/sh", "-e", "-c", script],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert serve.token not in proc.stdout + proc.stderr
    first_id = re.search(r"/releases/([0-9]{8}-[0-9]{6}-[0-9a-f]{6})", proc.stdout)
    assert first_id is not None, proc.stdout
    first = serve.wait(first_id.group(1), "deploying", "confirmed", "failed")
    assert first["image"] == f"{repo}:{head}"
    done = serve.wait(first["id"], "confirmed", "failed")
    assert done["status"] == "confirmed" and world.versions() == {"v2"}

    # The same image again: 200 with that release; a new one: 202, then awaiting confirm.
    code, body, headers = serve.request(
        "POST", "/hooks/orders", {**trigger, "image": f"{repo}:{head}"}
    )
    assert code == 200 and body["id"] == first["id"]
    code, body, headers = serve.request("POST", "/hooks/orders", {**trigger, "image": images["v3"]})
    assert code == 202, body
    v3 = body["id"]
    assert headers["Location"] == body["status_url"] == f"{serve.url}/releases/{v3}"
    assert headers["X-Jenkinsgen-Release"] == v3
    code, again, _ = serve.request("POST", "/hooks/orders", {**trigger, "image": images["v3"]})
    assert code in (200,) and again["id"] == v3
    code, other, _ = serve.request("POST", "/hooks/orders", {**trigger, "image": images["v1"]})
    assert code == 409, other
    assert serve.wait(v3, "awaiting-confirm")["previous_image"] == f"{repo}:{head}"
    assert world.versions() == {"v3"}
    code, other, _ = serve.request("POST", "/hooks/orders", {**trigger, "image": images["v1"]})
    assert code == 409 and "awaiting-confirm" in other["error"]
    assert serve.request("POST", "/hooks/orders", {**trigger, "image": images["v3"]})[0] == 200

    # Roll back: 202, then rolled back; again: 200; confirm now: 409.
    code, body, _ = serve.request("POST", f"/releases/{v3}/rollback")
    assert code == 202, body
    assert serve.wait(v3, "rolled-back")["status"] == "rolled-back"
    assert world.versions() == {"v2"}
    assert serve.request("POST", f"/releases/{v3}/rollback")[0] == 200
    code, body, _ = serve.request("POST", f"/releases/{v3}/confirm")
    assert code == 409 and "rolled-back" in body["error"]
    assert serve.request("GET", f"/releases/{v3}/confirm")[0] == 405

    # Another release, confirmed through the receiver.
    code, body, _ = serve.request("POST", "/hooks/orders", {**trigger, "image": images["v1"]})
    assert code == 202
    v1 = body["id"]
    serve.wait(v1, "awaiting-confirm")
    assert serve.request("POST", f"/releases/{v1}/confirm")[0] == 202
    assert serve.wait(v1, "confirmed")["status"] == "confirmed"
    assert serve.request("POST", f"/releases/{v1}/confirm")[0] == 200
    code, body, _ = serve.request("POST", f"/releases/{v1}/rollback")
    assert code == 409 and "confirmed" in body["error"]
    assert world.versions() == {"v1"}

    # An image that cannot start: the release fails, the live version is untouched.
    code, body, _ = serve.request("POST", "/hooks/orders", {**trigger, "image": images["v5"]})
    assert code == 202
    failed = serve.wait(body["id"], "failed")
    assert "exit" in failed["message"] and "APP_HEALTH=exit" in failed["message"]
    assert world.versions() == {"v1"}
    assert len(world.our_containers()) == 1


def test_receiver_serialises_a_service_and_runs_services_in_parallel(
    world: World, serve: Served
) -> None:
    images = world.images
    payments_repo = world.repo + "-payments"
    world.tag(images["v1"], payments_repo, "v1")
    results: dict[str, tuple[int, dict[str, Any]]] = {}

    def post(name: str, path: str, image: str) -> None:
        code, body, _ = serve.request("POST", path, {"image": image, "environment": "prod"})
        results[name] = (code, body)

    threads = [
        threading.Thread(target=post, args=("orders-a", "/hooks/orders", images["v1"])),
        threading.Thread(target=post, args=("orders-b", "/hooks/orders", images["v2"])),
        threading.Thread(target=post, args=("payments", "/hooks/payments", f"{payments_repo}:v1")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    codes = sorted(results[n][0] for n in ("orders-a", "orders-b"))
    assert codes == [202, 409], results
    assert results["payments"][0] == 202
    winner = next(b for c, b in (results["orders-a"], results["orders-b"]) if c == 202)
    orders = serve.wait(winner["id"], "confirmed")
    payments = serve.wait(results["payments"][1]["id"], "confirmed")
    # Both ran at once: each started before the other finished.
    assert orders["created"] <= payments["updated"] and payments["created"] <= orders["updated"]
    status, body = world.get("/", host="payments")
    assert (status, body) == (200, "v1")


def test_receiver_refuses_bad_options(world: World, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.write_text("\n")
    proc = subprocess.run(
        [
            *JENKINSGEN,
            "release",
            "serve",
            str(world.spec_path),
            "--listen",
            f"127.0.0.1:{world.receiver_port}",
            "--token-file",
            str(empty),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "must hold one token" in proc.stderr
    proc = subprocess.run(
        [
            *JENKINSGEN,
            "release",
            "serve",
            str(world.spec_path),
            "--listen",
            "nowhere",
            "--token-file",
            str(empty),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1 and "use HOST:PORT" in proc.stderr


def _scripts(world: World, groovy: GroovyParser) -> dict[str, str]:
    """The prod job's trigger, wait and settle scripts, as Jenkins hands them to sh."""
    p = plan(world.spec)
    [job] = [
        j
        for j in p.jobs
        if j.service is not None
        and j.service.name == "orders"
        and [e.name for e in j.environments] == ["prod"]
    ]
    summary = groovy.parse(render_jenkinsfile(p, job))
    assert summary.ok, summary.errors
    return {kind(s): s for s in summary.shell_commands() if kind(s) != "other"}


def test_the_pipelines_scripts_drive_releases_through_the_receiver(
    world: World, serve: Served, groovy: GroovyParser, tmp_path: Path
) -> None:
    scripts = _scripts(world, groovy)
    assert set(scripts) == {"trigger", "wait-switch", "settle"}
    work = tmp_path / "checkout"
    work.mkdir()
    git = ["git", "-C", str(work), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], check=True)
    # The Release and Settle stages take agents of their own: they run in other workspaces,
    # with only what the pipeline keeps in its environment (JENKINSGEN_RELEASE_URL).
    elsewhere = tmp_path / "another-agent"
    elsewhere.mkdir()
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "IMAGE_REPO": world.repo,
        "DEPLOY_ENV": "prod",
        "DEPLOY_WEBHOOK": f"{serve.url}/hooks/orders",
        "DEPLOY_TOKEN": serve.token,
    }

    def run(name: str, **extra: str) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            ["/bin/sh", "-e", "-c", scripts[name]],
            cwd=work if name == "trigger" else elsewhere,
            env={**env, **extra},
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert serve.token not in proc.stdout + proc.stderr
        return proc

    def commit(version: str) -> str:
        subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", version], check=True)
        head = subprocess.run(
            [*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True
        ).stdout.strip()
        world.tag(world.images[version], world.repo, head)
        return head

    def trigger(version: str) -> str:
        """The Deploy trigger stage: its script, then readFile into JENKINSGEN_RELEASE_URL."""
        proc = run("trigger", JENKINSGEN_COMMIT=commit(version))
        assert proc.returncode == 0, proc.stderr
        return (work / ".jenkinsgen-release.url").read_text().strip()

    def released(version: str) -> tuple[str, str]:
        url = trigger(version)
        wait = run("wait-switch", JENKINSGEN_RELEASE_URL=url)
        assert wait.returncode == 0, wait.stdout + wait.stderr
        return url, (elsewhere / ".jenkinsgen-release.status").read_text().strip()

    assert released("v1")[1] == "confirmed"  # the first release: nothing to confirm
    assert world.versions() == {"v1"}
    url, status = released("v2")
    assert status == "awaiting-confirm"
    assert world.versions() == {"v2"}
    settle = run("settle", JENKINSGEN_RELEASE_URL=url, JENKINSGEN_RELEASE_ACTION="confirm")
    assert settle.returncode == 0, settle.stderr
    assert "confirmed" in settle.stdout
    assert world.versions() == {"v2"} and len(world.our_containers()) == 1

    url, status = released("v3")
    assert status == "awaiting-confirm"
    settle = run("settle", JENKINSGEN_RELEASE_URL=url, JENKINSGEN_RELEASE_ACTION="rollback")
    assert settle.returncode == 0, settle.stderr
    assert world.versions() == {"v2"} and len(world.our_containers()) == 1

    url = trigger("v5")  # exits at once: the release fails, the wait fails the stage
    wait = run("wait-switch", JENKINSGEN_RELEASE_URL=url)
    assert wait.returncode == 1 and "the release ended failed" in wait.stderr
    assert world.versions() == {"v2"}
