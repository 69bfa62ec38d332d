"""A spec without `release` and `agents` gives a smaller stack, not an error: controller and
registry only, no receiver or agent image built, and `down --volumes` leaves nothing."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jenkinsgen.stack.settings import read_settings
from tests.stack.conftest import StackBases, init_args, remove_stack, run_cli, set_env

pytestmark = [pytest.mark.docker, pytest.mark.slow]

SPEC = """\
version: 1
folder: {folder}
defaults: {{registry: "{registry}/{folder}", registry_credentials: registry-push}}
environments: [{{name: dev, branch: develop}}, {{name: prod, branch: main}}]
services:
  - {{name: api, repo: "https://git.example.com/api.git", build: make, image: {{name: api}}}}
"""


@pytest.fixture
def small_stack(docker_client: Any, tmp_path: Path) -> Iterator[tuple[Path, str]]:
    name = f"jgsmall-{uuid.uuid4().hex[:8]}"
    directory = tmp_path / name
    directory.mkdir()
    folder = f"jgsm{uuid.uuid4().hex[:8]}"
    # the registry's port is chosen by init: write the spec after a first look at .env
    args = init_args(directory, folder)
    registry_port = args[args.index("--registry-port") + 1]
    (directory / "jenkinsgen.yaml").write_text(
        SPEC.format(folder=folder, registry=f"127.0.0.1:{registry_port}")
    )
    result = run_cli(*args)
    assert result.exit_code == 0, result.output
    try:
        yield directory, name
    finally:
        remove_stack(docker_client, name, folder)


@pytest.mark.timeout(1800)
def test_a_spec_without_release_or_agents_runs_a_smaller_stack(
    small_stack: tuple[Path, str],
    docker_client: Any,
    stack_bases: StackBases,
    plugins_lock_for: Any,
) -> None:
    directory, project = small_stack
    set_env(directory, REGISTRY_IMAGE=stack_bases.registry, PROXY_IMAGE=stack_bases.proxy)
    settings = read_settings(directory / ".env")
    lock = plugins_lock_for(directory / "plugins.txt")
    result = run_cli(
        "up", str(directory), "--bundle", str(lock), "--controller-base", stack_bases.controller,
        "--timeout", "120",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "receiver" not in result.stdout and "  dev " not in result.stdout
    label = f"com.docker.compose.project={project}"
    running = docker_client.containers.list(filters={"label": label})
    assert sorted(c.labels["com.docker.compose.service"] for c in running) == [
        "controller",
        "registry",
    ]
    built = docker_client.images.list(filters={"label": f"org.jenkinsgen.stack={project}"})
    assert [t for image in built for t in image.tags] == [settings.controller_image]
    assert "building the seed image" not in result.stderr
    assert "building the agent image" not in result.stderr
    result = run_cli("down", str(directory), "--volumes")
    assert result.exit_code == 0, result.output
    assert docker_client.containers.list(all=True, filters={"label": label}) == []
    assert docker_client.volumes.list(filters={"label": label}) == []
