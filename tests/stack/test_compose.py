"""compose.yaml, as Debian's docker-compose v1 (1.29) reads it: valid without a `version:`
key, every service on the host's network bound to BIND_ADDRESS, nothing published, secrets
as files, and only the services the spec needs."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from jenkinsgen.stack.scaffold import InitOptions, init_stack
from jenkinsgen.stack.settings import Ports
from tests.stack.conftest import set_env


def compose_config(directory: Path) -> dict[str, Any]:
    """What docker-compose v1 makes of the stack directory (`config`: parsed, validated
    against its schema, ${...} substituted from .env)."""
    binary = shutil.which("docker-compose")
    if binary is None:
        if os.environ.get("CI") == "true":
            pytest.fail("docker-compose missing (scripts/ci-services.sh installs it)")
        pytest.skip("docker-compose (v1) not installed")
    proc = subprocess.run(
        [
            binary,
            "--project-directory",
            str(directory),
            "--file",
            str(directory / "compose.yaml"),
            "config",
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=directory,
    )
    assert proc.returncode == 0, proc.stderr
    assert "WARNING" not in proc.stderr, proc.stderr
    document: dict[str, Any] = yaml.safe_load(proc.stdout)
    return document


def test_docker_compose_v1_reads_the_stack_as_written(tmp_path: Path, sock: Path) -> None:
    directory = tmp_path / "stack"
    ports = Ports(jenkins=18080, registry=15000, receiver=18481, proxy=18470, slots=30000)
    init_stack(directory, InitOptions("127.0.0.1", ports, str(sock)))
    config = compose_config(directory)
    services = config["services"]
    assert sorted(services) == sorted(
        ["controller", "registry", "receiver", "proxy-dev", "proxy-staging", "proxy-prod"]
    )
    for name, service in services.items():
        assert service["network_mode"] == "host", name
        assert "ports" not in service, name  # nothing published: servers bind BIND_ADDRESS
        assert service["restart"] == "unless-stopped", name
    controller = services["controller"]
    assert controller["environment"]["JENKINS_OPTS"] == (
        "--httpListenAddress=127.0.0.1 --httpPort=18080"
    )
    assert controller["environment"]["DOCKER_GID"] == str(sock.stat().st_gid)
    assert controller["image"] == "jenkinsgen/controller:stack"
    assert {"/var/run/docker.sock", "/var/jenkins_home"} <= {
        v["target"] if isinstance(v, dict) else v.split(":")[1] for v in controller["volumes"]
    }
    # secrets reach the containers as files, never as environment values
    secrets = {s["source"] for s in controller["secrets"]}
    assert secrets == {"JENKINS_ADMIN_PASSWORD", "REGISTRY_PASSWORD", "DEPLOY_TOKEN", "PUSH_TOKEN"}
    for name, service in services.items():
        for value in (service.get("environment") or {}).values():
            for secret in (directory / "secrets").iterdir():
                assert secret.read_text().strip() not in str(value), (name, secret.name)
    assert config["secrets"]["REGISTRY_HTPASSWD"]["file"] == str(
        directory / "secrets" / "registry-htpasswd"
    )
    registry = services["registry"]["environment"]
    assert registry["REGISTRY_HTTP_ADDR"] == "127.0.0.1:15000"
    assert registry["REGISTRY_AUTH_HTPASSWD_PATH"] == "/run/secrets/REGISTRY_HTPASSWD"
    receiver = services["receiver"]
    assert "--listen 127.0.0.1:18481" in receiver["command"][2]
    assert receiver["entrypoint"] == ["/usr/local/bin/jenkinsgen-entrypoint"]
    assert receiver["environment"]["JENKINSGEN_USER"] == "nobody"
    for env in ("dev", "staging", "prod"):
        proxy = services[f"proxy-{env}"]
        assert proxy["user"] == "65534:65534" and proxy["cap_drop"] == ["ALL"]
        assert f"/var/lib/jenkinsgen/{env}/haproxy.cfg" in proxy["command"][2]
    # images come from .env: a test (or a user) points them elsewhere
    set_env(directory, PROXY_IMAGE="example.org/haproxy:2.6.12", BIND_ADDRESS="127.0.0.2")
    config = compose_config(directory)
    assert config["services"]["proxy-dev"]["image"] == "example.org/haproxy:2.6.12"
    assert config["services"]["registry"]["environment"]["REGISTRY_HTTP_ADDR"] == "127.0.0.2:15000"
