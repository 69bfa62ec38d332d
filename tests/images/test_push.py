"""Pushing to a local registry (Debian docker-registry, htpasswd auth) and pulling back."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import docker
import pytest
from click.testing import CliRunner

from jenkinsgen.cli.main import cli
from jenkinsgen.errors import ImageError
from jenkinsgen.images import push_image, registry_auth
from tests.dockerlib.fixtures import DockerCleanup, Registry

pytestmark = pytest.mark.docker


def test_push_with_credentials_and_pull_back(
    docker_cleanup: DockerCleanup, agent_image: str, local_registry: Registry
) -> None:
    client = docker_cleanup.client
    source = "jgtest-push-agent:" + docker_cleanup.name("v")
    client.images.get(agent_image).tag(source)
    docker_cleanup.images.append(source)
    auth = {"username": local_registry.username, "password": local_registry.password}
    target = push_image(client, source, f"{local_registry.address}/acme", auth=auth)
    assert target == f"{local_registry.address}/acme/{source}"
    docker_cleanup.images.append(target)
    original = client.images.get(source).id
    client.images.remove(target)
    pulled = client.images.pull(target, auth_config=auth)
    assert pulled.id == original


def test_push_with_a_wrong_password_fails_without_showing_it(
    docker_cleanup: DockerCleanup, agent_image: str, local_registry: Registry
) -> None:
    source = "jgtest-push-agent:" + docker_cleanup.name("v")
    docker_cleanup.client.images.get(agent_image).tag(source)
    docker_cleanup.images.append(source)
    docker_cleanup.images.append(f"{local_registry.address}/acme/{source}")
    wrong = "wrong-" + local_registry.password
    with pytest.raises(ImageError) as info:
        push_image(
            docker_cleanup.client,
            source,
            f"{local_registry.address}/acme",
            auth={"username": local_registry.username, "password": wrong},
        )
    assert "unauthorized" in str(info.value).lower() or "authentication" in str(info.value).lower()
    assert wrong not in str(info.value) and wrong not in info.value.log


def test_cli_builds_and_pushes_the_agent_image(
    docker_cleanup: DockerCleanup,
    standin_agent_image: str,
    agent_image: str,  # same layers: the CLI build comes from the cache
    local_registry: Registry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Same repository as the tests above: the registry already has the layers, so the push
    # only uploads the manifest.
    tag = "jgtest-push-agent:" + docker_cleanup.name("cli")
    pushed = f"{local_registry.address}/acme/{tag}"
    docker_cleanup.images.extend([tag, pushed])
    monkeypatch.setenv("JENKINSGEN_REGISTRY_USERNAME", local_registry.username)
    monkeypatch.setenv("JENKINSGEN_REGISTRY_PASSWORD", local_registry.password)
    result = CliRunner().invoke(
        cli,
        [
            "image",
            "build",
            "agent",
            "--tag",
            tag,
            "--base",
            standin_agent_image,
            "--push",
            f"{local_registry.address}/acme",
        ],
    )
    assert result.exit_code == 0, result.output
    assert f"pushed {pushed}" in result.output
    assert local_registry.password not in result.output
    image = docker_cleanup.client.images.get(tag)
    assert image.labels["org.jenkinsgen.image"] == "agent"
    docker_cleanup.client.images.remove(pushed)
    with pytest.raises(docker.errors.APIError):
        docker_cleanup.client.images.pull(pushed)  # no credentials: refused
    auth = {"username": local_registry.username, "password": local_registry.password}
    assert docker_cleanup.client.images.pull(pushed, auth_config=auth).id == image.id


def test_cli_build_failure_is_one_line_with_exit_1(
    docker_cleanup: DockerCleanup, tmp_path: Path
) -> None:
    tag = docker_cleanup.name("jgtest-nobase")
    docker_cleanup.images.append(tag)
    result = CliRunner().invoke(
        cli,
        ["image", "build", "agent", "--tag", tag, "--base", "jenkinsgen-test/absent:nope"],
    )
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, result.output
    assert "building the agent image" in errors[0] and "Traceback" not in result.output


def test_push_with_credentials_from_the_docker_config(
    docker_cleanup: DockerCleanup,
    agent_image: str,
    local_registry: Registry,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without JENKINSGEN_REGISTRY_* the engine gets what `docker login` stored."""
    token = base64.b64encode(f"{local_registry.username}:{local_registry.password}".encode())
    config = tmp_path / "docker-config"
    config.mkdir()
    (config / "config.json").write_text(
        json.dumps({"auths": {local_registry.address: {"auth": token.decode()}}})
    )
    monkeypatch.setenv("DOCKER_CONFIG", str(config))
    monkeypatch.delenv("JENKINSGEN_REGISTRY_USERNAME", raising=False)
    monkeypatch.delenv("JENKINSGEN_REGISTRY_PASSWORD", raising=False)
    source = "jgtest-push-agent:" + docker_cleanup.name("cfg")
    docker_cleanup.images.append(source)
    docker_cleanup.client.images.get(agent_image).tag(source)
    empty = tmp_path / "empty-config"
    empty.mkdir()
    monkeypatch.setenv("DOCKER_CONFIG", str(empty))
    client = docker.from_env()
    try:  # control: no stored login, refused
        with pytest.raises(ImageError):
            push_image(client, source, f"{local_registry.address}/acme", auth=registry_auth())
    finally:
        client.close()
    monkeypatch.setenv("DOCKER_CONFIG", str(config))
    client = docker.from_env()
    try:
        target = push_image(client, source, f"{local_registry.address}/acme", auth=registry_auth())
    finally:
        client.close()
    docker_cleanup.images.append(target)
    assert target == f"{local_registry.address}/acme/{source}"
