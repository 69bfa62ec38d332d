"""The generated Image and Deploy trigger scripts, run for real.

The scripts are taken from the Jenkinsfile as Groovy parses it (the very strings Jenkins hands to
``sh``) and run with ``/bin/sh -xe`` in a real Git checkout, with ``JENKINSGEN_COMMIT`` set to
what the Checkout stage's own ``sh(script: ..., returnStdout: true).trim()`` prints there; a
manual environment's Deploy trigger runs in an empty directory, as on the agent it takes after
the approval. The Deploy trigger POSTs with real
curl to an HTTP server on 127.0.0.1, the Image stage builds with the real Docker engine and pushes
to a real registry with htpasswd auth. Wrappers in front of ``curl`` and ``docker`` record every
argument list, to prove that no secret is ever a process argument or in the build log.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
import urllib.request
from base64 import b64encode
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from jenkinsgen.plan import plan
from jenkinsgen.render.jenkinsfile import render_jenkinsfile
from jenkinsgen.spec import load_spec_text, model
from tests.dockerlib.fixtures import DockerCleanup, Registry
from tests.render.groovy_ast import AstSummary, GroovyParser
from tests.render.jenkinsfile_specs import job, service, spec

TOKEN = "tok-3f9a1c7e5b2d4a60"  # what Jenkins would bind from the secret-text credential

WRAPPER = """#!/bin/sh
printf '%s\\0' "$#" "$@" >> "$ARGV_LOG"
exec {real} "$@"
"""


@dataclass
class Received:
    requests: list[dict[str, Any]] = field(default_factory=list)


@pytest.fixture
def webhook() -> Iterator[tuple[str, Received]]:
    """An HTTP server on 127.0.0.1 that records the POSTs it receives."""
    received = Received()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.requests.append(
                {"path": self.path, "headers": dict(self.headers), "body": body}
            )
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hooks/orders", received
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def checkout(tmp_path: Path) -> tuple[Path, str]:
    """A Git work tree with one commit holding a Dockerfile in a context dir with awkward names."""
    work = tmp_path / "work tree"
    context = work / "ctx dir" / "it's"
    context.mkdir(parents=True)
    (context / "hello.txt").write_text("hello\n", encoding="utf-8")
    (work / "ctx dir" / "Docker file").write_text(
        "FROM scratch\nARG GREETING\nCOPY hello.txt /hello.txt\n"
        'LABEL org.example.greeting="$GREETING"\n',
        encoding="utf-8",
    )
    git = ["git", "-C", str(work), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "init"], check=True)
    head = subprocess.run(
        [*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True
    ).stdout.strip()
    return work, head


def wrapped_path(tmp_path: Path, *tools: str) -> tuple[str, Path]:
    """A PATH whose ``tools`` record their arguments before running the real ones."""
    bin_dir = tmp_path / "wrap-bin"
    bin_dir.mkdir()
    for tool in tools:
        real = subprocess.run(
            ["sh", "-c", f"command -v {tool}"], check=True, capture_output=True, text=True
        ).stdout.strip()
        path = bin_dir / tool
        path.write_text(WRAPPER.format(real=real), encoding="utf-8")
        path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return f"{bin_dir}{os.pathsep}{os.environ['PATH']}", tmp_path / "argv.log"


def recorded_argv(log: Path) -> list[list[str]]:
    if not log.exists():
        return []
    fields = [f.decode("utf-8") for f in log.read_bytes().split(b"\0")[:-1]]
    out, i = [], 0
    while i < len(fields):
        count = int(fields[i])
        out.append(fields[i + 1 : i + 1 + count])
        i += 1 + count
    return out


def checkout_commit(summary: AstSummary, work: Path) -> str:
    """What the Checkout stage records in JENKINSGEN_COMMIT: its captured command's output in
    the work tree, trimmed."""
    [command] = summary.captured_commands()
    proc = subprocess.run(
        ["/bin/sh", "-c", command], cwd=work, capture_output=True, text=True, check=True
    )
    return proc.stdout.strip()


def run_sh(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    script_file = cwd.parent / "script.sh"
    script_file.write_text(script, encoding="utf-8")
    return subprocess.run(
        ["/bin/sh", "-xe", str(script_file)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_deploy_trigger_posts_json_with_bearer_token(
    groovy: GroovyParser,
    tmp_path: Path,
    webhook: tuple[str, Received],
    checkout: tuple[Path, str],
) -> None:
    url, received = webhook
    work, head = checkout
    p, j = job(spec(), "pipeline", "staging")
    summary = groovy.parse(render_jenkinsfile(p, j))
    deploy = summary.shell_commands()[-1]
    path, log = wrapped_path(tmp_path, "curl")
    env = {
        "PATH": path,
        "ARGV_LOG": str(log),
        "HOME": str(tmp_path),
        "JENKINSGEN_COMMIT": checkout_commit(summary, work),
        "IMAGE_REPO": "registry.example.com/acme/orders",
        "DEPLOY_ENV": "staging",
        "DEPLOY_WEBHOOK": url,
        "DEPLOY_TOKEN": TOKEN,
    }
    proc = run_sh(deploy, work, env)
    assert proc.returncode == 0, proc.stderr
    [request] = received.requests
    assert request["path"] == "/hooks/orders"
    assert request["headers"]["Authorization"] == f"Bearer {TOKEN}"
    assert request["headers"]["Content-Type"] == "application/json"
    assert json.loads(request["body"]) == {
        "image": f"registry.example.com/acme/orders:{head}",
        "environment": "staging",
    }
    argv = recorded_argv(log)
    assert len(argv) == 1 and url in argv[0]
    assert not any(TOKEN in arg for args in argv for arg in args), "token in curl's arguments"
    assert TOKEN not in proc.stdout + proc.stderr, "token in the build log"


def test_deploy_trigger_fails_the_stage_when_the_webhook_fails(
    groovy: GroovyParser, tmp_path: Path, checkout: tuple[Path, str]
) -> None:
    work, head = checkout
    p, j = job(spec(), "pipeline", "dev")
    deploy = groovy.parse(render_jenkinsfile(p, j)).shell_commands()[-1]
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "JENKINSGEN_COMMIT": head,
        "IMAGE_REPO": "registry.example.com/acme/orders",
        "DEPLOY_ENV": "dev",
        "DEPLOY_WEBHOOK": "http://127.0.0.1:1/none",  # nothing listens on port 1
    }
    proc = run_sh(deploy.replace("--retry 3", "--retry 0"), work, env)
    assert proc.returncode != 0


def test_deploy_after_approval_runs_without_a_workspace(
    groovy: GroovyParser,
    tmp_path: Path,
    webhook: tuple[str, Received],
    checkout: tuple[Path, str],
) -> None:
    """The manual Deploy trigger runs on the agent it takes after the approval, in a fresh
    workspace: it names the image built from the commit the Checkout stage recorded."""
    url, received = webhook
    work, head = checkout
    p, j = job(spec(), "pipeline", "prod")
    summary = groovy.parse(render_jenkinsfile(p, j))
    deploy = summary.shell_commands()[-1]
    empty = tmp_path / "fresh workspace"
    empty.mkdir()
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "JENKINSGEN_COMMIT": checkout_commit(summary, work),
        "IMAGE_REPO": "registry.example.com/acme/orders",
        "DEPLOY_ENV": "prod",
        "DEPLOY_WEBHOOK": url,
        "DEPLOY_TOKEN": TOKEN,
    }
    proc = run_sh(deploy, empty, env)
    assert proc.returncode == 0, proc.stderr
    [request] = received.requests
    assert json.loads(request["body"])["image"] == f"registry.example.com/acme/orders:{head}"
    assert list(empty.iterdir()) == []


@pytest.mark.docker
def test_image_stage_builds_tags_and_pushes(
    groovy: GroovyParser,
    tmp_path: Path,
    checkout: tuple[Path, str],
    local_registry: Registry,
    docker_client: Any,
    docker_cleanup: DockerCleanup,
) -> None:
    work, head = checkout
    greeting = 'it\'s "$HOME" \\ ${x} é'
    svc = service(
        image=model.Image(
            name="orders",
            dockerfile="ctx dir/Docker file",
            context="ctx dir/it's",
            build_args=(("GREETING", greeting),),
        )
    )
    s = spec(svc, registry=f"{local_registry.address}/jgtest-{docker_cleanup.name('r')}")
    p, j = job(s, "pipeline", "dev")
    text = render_jenkinsfile(p, j)
    summary = groovy.parse(text)
    image_script = summary.shell_commands()[2]
    repo = f"{s.defaults.registry}/orders"
    assert f"IMAGE_REPO = '{repo}'" in text
    docker_cleanup.images.extend([f"{repo}:{head}", f"{repo}:dev"])
    path, log = wrapped_path(tmp_path, "docker")
    env = {
        "PATH": path,
        "ARGV_LOG": str(log),
        "HOME": str(tmp_path),
        "TMPDIR": str(tmp_path),
        "DOCKER_HOST": os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock"),
        "JENKINSGEN_COMMIT": checkout_commit(summary, work),
        "IMAGE_REPO": repo,
        "REGISTRY_HOST": local_registry.address,
        "DEPLOY_ENV": "dev",
        "REGISTRY_USER": local_registry.username,
        "REGISTRY_PASSWORD": local_registry.password,
    }
    proc = run_sh(image_script, work, env)
    assert proc.returncode == 0, proc.stdout + proc.stderr

    image = docker_client.images.get(f"{repo}:{head}")
    assert f"{repo}:dev" in image.tags
    assert image.labels["org.example.greeting"] == greeting
    path_in_registry = repo.split("/", 1)[1]
    auth = b64encode(f"{local_registry.username}:{local_registry.password}".encode()).decode()
    request = urllib.request.Request(
        f"http://{local_registry.address}/v2/{path_in_registry}/tags/list",
        headers={"Authorization": f"Basic {auth}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        tags = json.load(response)["tags"]
    assert sorted(tags) == sorted([head, "dev"])

    argv = recorded_argv(log)
    assert [a[0] for a in argv] == ["login", "build", "push", "push", "logout"]
    secret = local_registry.password
    assert not any(secret in arg for args in argv for arg in args), "password in docker's args"
    assert secret not in proc.stdout + proc.stderr, "password in the build log"
    assert not (tmp_path / ".docker").exists(), "login must not touch the agent's ~/.docker"
    leftovers = [p for p in tmp_path.iterdir() if p.name.startswith("tmp.")]
    assert not leftovers, "the throw-away DOCKER_CONFIG is removed"


SEED_SPEC = """\
version: 1
folder: seeded
defaults:
  registry: registry.example.com/acme
  registry_credentials: registry-push
environments:
  - {name: dev, branch: develop}
services:
  - name: orders
    repo: https://git.example.com/acme/orders.git
    build: make
seed:
  repo: https://git.example.com/acme/config.git
  spec: teams/jenkinsgen.yaml
  jenkins_credentials: jenkins-api
  jenkins_url: https://jenkins.example.com/
"""


def test_seed_apply_script_applies_the_spec_with_the_bound_token(
    groovy: GroovyParser, tmp_path: Path, secured_jenkins_double: Any
) -> None:
    """The seed job's Apply script, run as in the seed image (jenkinsgen on PATH, the URL from
    the pipeline's environment), creates the spec's items on a controller that requires the
    API token from withCredentials. tests/images/test_seed_image.py runs it in the real image."""
    work = tmp_path / "config repo"
    (work / "teams").mkdir(parents=True)
    (work / "teams" / "jenkinsgen.yaml").write_text(SEED_SPEC, encoding="utf-8")
    p = plan(load_spec_text(SEED_SPEC, "teams/jenkinsgen.yaml"))
    seed_job = next(j for j in p.jobs if j.kind == "seed")
    [apply_script] = groovy.parse(render_jenkinsfile(p, seed_job)).shell_commands()
    installed = Path(sys.prefix) / "bin" / "jenkinsgen"
    assert installed.exists(), "run the tests from the environment jenkinsgen is installed in"
    env = {
        "PATH": f"{installed.parent}:{os.environ['PATH']}",
        "HOME": str(tmp_path),
        "SEED_JENKINS_URL": secured_jenkins_double.url,
        "JENKINS_USER": "admin",
        "JENKINS_API_TOKEN": "admin-token",
    }
    proc = run_sh(apply_script, work, env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    names = secured_jenkins_double.job_names()
    assert {"seeded", "seeded/seed", "seeded/orders", "seeded/orders/dev"} <= set(names)
    assert "admin-token" not in proc.stdout + proc.stderr

    env["JENKINS_API_TOKEN"] = "wrong-token"
    proc = run_sh(apply_script, work, env)
    assert proc.returncode != 0, "the seed job must fail when the bound token is refused"
