"""Agents area: the agent image (built once per session with jenkinsgen.images from the
stand-in inbound-agent base), a second dockerd, the Jenkins double, and cleanup of every
container the tests' controller owns on both engines."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import docker
import pytest
from click.testing import CliRunner, Result

from jenkinsgen.agents import Engine, controller_id, parse_host
from jenkinsgen.agents.containers import CONTROLLER, MANAGED
from jenkinsgen.cli.main import cli
from jenkinsgen.images import ImageInputs, build_image
from jenkinsgen.jenkins.client import JenkinsClient
from tests.agents.engines import SecondEngine, sweep_orphans
from tests.jenkins_double.server import JenkinsDouble

LOCAL = "unix:///var/run/docker.sock"


def _remove_image(client: Any, tag: str) -> None:
    with contextlib.suppress(docker.errors.ImageNotFound):
        client.images.remove(tag, force=True)


@pytest.fixture(scope="session")
def agent_image(docker_client: Any, standin_agent_image: str) -> Iterator[str]:
    """The real agent image (images/agent) built FROM the stand-in inbound agent."""
    tag = f"jenkinsgen-test/agents-agent:{uuid.uuid4().hex[:10]}"
    try:
        build_image(docker_client, ImageInputs(kind="agent"), tag, standin_agent_image)
        yield tag
    finally:
        _remove_image(docker_client, tag)


@pytest.fixture(scope="session")
def chatty_image(
    docker_client: Any, agent_image: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The agent image whose start prints lines (one with the secret, to prove redaction)."""
    ctx: Path = tmp_path_factory.mktemp("chatty")
    (ctx / "Dockerfile").write_text(
        f"FROM {agent_image}\n"
        'ENTRYPOINT ["/bin/sh", "-c", "echo connecting $JENKINS_AGENT_NAME to $JENKINS_URL; '
        'echo refused secret $(cat ${JENKINS_SECRET#@}); exec sleep infinity"]\n'
    )
    yield from _built(docker_client, ctx, "agents-chatty")


def _built(docker_client: Any, ctx: Path, name: str) -> Iterator[str]:
    """Build ``ctx`` as a uniquely tagged test image, yield the tag, always remove it."""
    tag = f"jenkinsgen-test/{name}:{uuid.uuid4().hex[:10]}"
    try:
        docker_client.images.build(path=str(ctx), tag=tag, network_mode="host", rm=True)
        yield tag
    finally:
        _remove_image(docker_client, tag)


@pytest.fixture(scope="session")
def upstream_like_image(
    docker_client: Any, agent_image: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The agent image whose start script, like upstream's jenkins-agent, turns JENKINS_SECRET
    into ``-secret VALUE`` on the agent's command line (after checking it can read a file)."""
    ctx: Path = tmp_path_factory.mktemp("upstream-like")
    (ctx / "jenkins-agent").write_text(
        "#!/bin/sh\n"
        'case $JENKINS_SECRET in @*) [ -r "${JENKINS_SECRET#@}" ] || exit 3 ;; esac\n'
        "exec sh -c 'sleep infinity; :' agent -secret \"$JENKINS_SECRET\" "
        '-name "$JENKINS_AGENT_NAME" -url "$JENKINS_URL"\n'
    )
    (ctx / "Dockerfile").write_text(
        f"FROM {agent_image}\nCOPY jenkins-agent /usr/local/bin/jenkins-agent\n"
        "RUN chmod 0755 /usr/local/bin/jenkins-agent\n"
    )
    yield from _built(docker_client, ctx, "agents-upstream-like")


@pytest.fixture(scope="session")
def second_engine(docker_client: Any, agent_image: str) -> Iterator[SecondEngine]:
    """A second dockerd on its own socket, with the agent image loaded into it."""
    sweep_orphans()
    engine = SecondEngine()
    try:
        engine.start()
        engine.load_image(docker_client, agent_image)
        yield engine
    finally:
        engine.stop()


class Controller:
    """The double, a client for it, and helpers to run the CLI against it."""

    def __init__(self, double: JenkinsDouble) -> None:
        self.double = double
        self.url = double.url
        self.id = controller_id(double.url)
        self.client = JenkinsClient(double.url)

    def cli(
        self, sub: str, *args: str, hosts: tuple[str, ...] = (LOCAL,), verbose: bool = False
    ) -> Result:
        """Run ``jenkinsgen [-v] agents SUB --url URL --docker-host H... ARGS``."""
        host_args = [a for h in hosts for a in ("--docker-host", h)]
        argv = ["-v"] if verbose else []
        argv += ["agents", sub, "--url", self.url, *host_args, *args]
        return CliRunner().invoke(cli, argv, catch_exceptions=False)


@pytest.fixture
def controller(docker_client: Any) -> Iterator[Controller]:
    """A fresh double; afterwards every container it owns is removed from both engines."""
    double = JenkinsDouble()
    double.start()
    ctl = Controller(double)
    try:
        yield ctl
    finally:
        double.stop()
        _remove_owned(docker_client, ctl.id)


def _remove_owned(client: Any, controller: str) -> None:
    filters = {"label": [f"{MANAGED}=true", f"{CONTROLLER}={controller}"]}
    for c in client.containers.list(all=True, filters=filters):
        with contextlib.suppress(docker.errors.NotFound):
            c.remove(force=True)


@pytest.fixture
def second_cleanup(second_engine: SecondEngine, controller: Controller) -> Iterator[None]:
    try:
        yield
    finally:
        _remove_owned(second_engine.client, controller.id)


@pytest.fixture
def local_engine(docker_client: Any) -> Engine:
    return Engine(parse_host(LOCAL), docker_client)


@pytest.fixture
def stray(docker_client: Any, agent_image: str) -> Iterator[Callable[[], Any]]:
    """Factory of unmanaged containers (no labels of ours), removed afterwards."""
    made: list[Any] = []

    def make() -> Any:
        c = docker_client.containers.run(
            agent_image,
            ["sleep", "infinity"],
            detach=True,
            network_mode="host",
            name=f"stray-{uuid.uuid4().hex[:8]}",
        )
        made.append(c)
        return c

    try:
        yield make
    finally:
        for c in made:
            with contextlib.suppress(docker.errors.NotFound):
                c.remove(force=True)
