"""compose.yaml, as Debian's docker-compose v1 (1.29) reads it: valid without a `version:`
key, every service on the host's network bound to BIND_ADDRESS, nothing published, secrets
as files, and only the services the spec needs."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from jenkinsgen.stack.scaffold import InitOptions, init_stack
from jenkinsgen.stack.settings import Ports
from tests.stack.compose_spec import (
    interpolate,
    interpolate_document,
    load_schema,
    read_dotenv,
)
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


@pytest.fixture(scope="session")
def compose_spec(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return load_schema(tmp_path_factory.mktemp("compose-spec"))


def spec_errors(schema: dict[str, Any], document: Any) -> list[str]:
    drafts = {
        "2020-12": jsonschema.Draft202012Validator,
        "2019-09": jsonschema.Draft201909Validator,
        "draft-07": jsonschema.Draft7Validator,
    }  # the npm copy spells its draft http://json-schema.org/draft/2019-09/schema#
    (cls,) = [v for key, v in drafts.items() if key in schema["$schema"]]
    validator = cls(schema)
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]


@pytest.mark.parametrize("small", [False, True], ids=["whole", "no-release-no-agents"])
def test_the_stack_as_written_follows_the_compose_specification(
    tmp_path: Path, sock: Path, compose_spec: dict[str, Any], small: bool
) -> None:
    """What `docker compose` (v2) validates a file against, after its interpolation from
    .env: not installed here, so its schema stands in for it (docs/stack.md)."""
    directory = tmp_path / "stack"
    ports = Ports(jenkins=18080, registry=15000, receiver=18481, proxy=18470, slots=30000)
    init_stack(directory, InitOptions("127.0.0.1", ports, str(sock)))
    if small:
        spec = directory / "jenkinsgen.yaml"
        document = yaml.safe_load(spec.read_text())
        document.pop("agents", None)
        for environment in document["environments"]:
            environment.pop("release", None)
        spec.write_text(yaml.safe_dump(document))
        (directory / "compose.yaml").unlink()
        init_stack(directory, InitOptions("127.0.0.1", ports, str(sock)))
    env = read_dotenv(directory / ".env")
    compose = interpolate_document(yaml.safe_load((directory / "compose.yaml").read_text()), env)
    assert ("receiver" in compose["services"]) is not small
    assert spec_errors(compose_spec, compose) == []
    compose["services"]["controller"]["restart_policy"] = "always"  # a key compose lacks
    assert any("restart_policy" in error for error in spec_errors(compose_spec, compose))


def test_interpolation_follows_compose() -> None:
    env = {"A": "x", "EMPTY": ""}
    assert interpolate("$A ${A} ${B:-d} ${EMPTY:-d} ${EMPTY-d} $$A", env) == "x x d d  $A"
    with pytest.raises(AssertionError, match="not set"):
        interpolate("${B}", env)
    with pytest.raises(AssertionError, match="not a compose variable"):
        interpolate("${A:?needed}", env)
