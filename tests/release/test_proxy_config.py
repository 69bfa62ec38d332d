"""``release proxy-config``: a configuration HAProxy 2.6 accepts, routing as the state says;
and the release CLI's errors, one located line each."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from jenkinsgen.release.proxyconfig import render_proxy_config
from jenkinsgen.release.state import Slot, StateStore
from jenkinsgen.spec import Spec, load_spec_text
from tests.release.harness import ROOT

SPEC = """\
version: 1
folder: delivery
defaults: {{registry: registry.example.com/acme, registry_credentials: registry-push}}
environments:
  - {{name: dev, branch: develop}}
  - name: prod
    branch: main
    release:
      docker_host: {docker_host}
      ports: 21000-21099
      proxy: {{listen: "127.0.0.1:8480", admin_socket: {root}/prod.sock, config: {root}/prod.cfg}}
      state_dir: {root}/state
services:
  - name: orders
    repo: https://git.example.com/acme/orders.git
    build: make
    run: {{health: "/health/ready?deep=1", hosts: [orders.example.com, Orders]}}
  - name: web
    repo: https://git.example.com/acme/web.git
    build: make
    run: {{}}
  - name: batch
    repo: https://git.example.com/acme/batch.git
    build: make
    environments: [dev]
"""


def spec(root: Path, docker_host: str = "unix:///var/run/docker.sock") -> Spec:
    text = SPEC.format(root=root, docker_host=docker_host)
    (root / "jenkinsgen.yaml").write_text(text, encoding="utf-8")
    return load_spec_text(text, str(root / "jenkinsgen.yaml"))


def states(root: Path) -> dict[str, object]:
    store = StateStore(root / "state", "prod")
    orders = store.allocate("orders", 21000, 21099, keep={"orders", "web"})
    web = store.allocate("web", 21000, 21099, keep={"orders", "web"})
    orders.slots["green"] = Slot(
        image="a/orders:2", release="20250101-000000-abcdef", container="c"
    )
    orders.live = "green"
    store.save(orders)
    return {"orders": orders, "web": web}


def test_the_configuration_is_valid_for_haproxy_and_follows_the_state(tmp_path: Path) -> None:
    s = spec(tmp_path)
    text = render_proxy_config(s, "prod", states(tmp_path), "jenkinsgen.yaml")  # type: ignore[arg-type]
    assert text == render_proxy_config(s, "prod", states(tmp_path), "jenkinsgen.yaml")  # type: ignore[arg-type]
    config = tmp_path / "prod.cfg"
    config.write_text(text)
    if shutil.which("haproxy") is None:
        pytest.fail("haproxy is not installed (scripts/ci-services.sh installs it)")
    check = subprocess.run(["haproxy", "-c", "-f", str(config)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert f"stats socket {tmp_path}/prod.sock mode 600 level admin" in text
    assert "bind 127.0.0.1:8480" in text
    assert (
        "use_backend svc_orders if { req.hdr(host),field(1,:),lower -m str orders "
        "orders.example.com }" in text
    )
    assert "use_backend svc_web if { req.hdr(host),field(1,:),lower -m str web }" in text
    assert "svc_batch" not in text  # not in prod
    assert (
        "http-check send meth GET uri /health/ready?deep=1 ver HTTP/1.1 hdr Host orders.example.com"
        in text
    )
    assert "http-check expect rstatus ^2" in text
    assert "    server blue 127.0.0.1:21000 weight 0 disabled\n" in text
    assert "    server green 127.0.0.1:21001 weight 100\n" in text
    assert "    server blue 127.0.0.1:21002 weight 0 disabled\n" in text


def test_slots_on_a_remote_engine_are_reached_on_its_host(tmp_path: Path) -> None:
    s = spec(tmp_path, "ssh://deploy@app-1.example.com")
    text = render_proxy_config(s, "prod", states(tmp_path))  # type: ignore[arg-type]
    assert "    server green app-1.example.com:21001 weight 100\n" in text


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "jenkinsgen.cli.main", "release", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


@pytest.mark.docker
def test_cli_proxy_config_writes_the_file_or_prints_it(
    tmp_path: Path, docker_client: object
) -> None:
    spec(tmp_path)
    path = str(tmp_path / "jenkinsgen.yaml")
    printed = cli("proxy-config", path, "--env", "prod", "-o", "-")
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout.startswith("# HAProxy configuration of environment prod")
    written = cli("proxy-config", path, "--env", "prod")
    assert written.returncode == 0, written.stderr
    config = tmp_path / "prod.cfg"
    assert config.read_text() == printed.stdout
    assert oct(config.stat().st_mode & 0o777) == "0o644"
    other = cli("proxy-config", path, "--env", "prod", "-o", str(tmp_path / "x.cfg"))
    assert other.returncode == 0 and (tmp_path / "x.cfg").read_text() == printed.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["deploy", "--env", "nope", "--service", "orders", "--image", "a/b:1"],
            "error: unknown environment 'nope' (known: dev, prod)",
        ),
        (
            ["confirm", "--env", "dev", "--service", "orders"],
            "error: environment 'dev' has no release block in",
        ),
        (
            ["rollback", "--env", "prod", "--service", "batch"],
            "error: service 'batch' is not released in prod (released: orders, web)",
        ),
        (["proxy-config", "--env", "dev"], "error: environment 'dev' has no release block"),
    ],
)
@pytest.mark.docker
def test_cli_errors_are_one_line(
    tmp_path: Path, args: list[str], message: str, docker_client: object
) -> None:
    spec(tmp_path)
    proc = cli(args[0], str(tmp_path / "jenkinsgen.yaml"), *args[1:])
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith(message), proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_cli_reports_spec_problems_located(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(SPEC.format(root=tmp_path, docker_host="http://x").replace("run: {}", "run: 1"))
    proc = cli("status", str(bad))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert lines[0].startswith(f"{bad}:9:20: environments[1].release.docker_host:")
    assert lines[1].startswith(f"{bad}:21:10: services[1].run: expected a mapping (run)")
    assert lines[-1] == "2 problems found"
