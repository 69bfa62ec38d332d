"""``network`` other than host: the app listens on ``run.port`` in its own network namespace,
published on its slot's port on 127.0.0.1.

The engine here runs with ``--bridge=none`` (no default ``bridge`` network), so the test uses
a user-defined bridge network, which the spec names the same way; publishing works alike.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import docker
import pytest

from jenkinsgen.release import confirm, deploy
from tests.release.harness import Load, World

pytestmark = [pytest.mark.docker, pytest.mark.slow]


@pytest.fixture
def bridge_network(docker_client: Any) -> Iterator[str]:
    name = f"jgtest-bridge-{uuid.uuid4().hex[:8]}"
    network = docker_client.networks.create(name, driver="bridge")
    try:
        yield name
    finally:
        with contextlib.suppress(docker.errors.NotFound):
            network.reload()
            for container in network.containers:
                container.remove(force=True)
            network.remove()


def test_published_port_releases_fail_no_request(
    bridge_network: str, make_world: Callable[..., World]
) -> None:
    world = make_world(network=bridge_network)
    site = world.site()
    deploy(site, "orders", world.images["v1"])
    load = Load(world, world.root / "load.jsonl", slow=1.0)
    try:
        assert deploy(site, "orders", world.images["v2"]).status == "awaiting-confirm"
        assert confirm(site, "orders").status == "confirmed"
    finally:
        load.stop()
    whole = load.window(0, float("inf"))
    print(f"\nbridge network: {whole}")
    assert whole.failed == 0, whole.failures
    assert world.versions() == {"v2"}
    [container] = world.our_containers()
    state = site.store.load("orders")
    assert state is not None and state.live is not None
    bindings = container.attrs["HostConfig"]["PortBindings"]
    assert bindings == {
        "8080/tcp": [{"HostIp": "127.0.0.1", "HostPort": str(state.ports[state.live])}]
    }
    assert container.attrs["HostConfig"]["NetworkMode"] == bridge_network
    assert "PORT=8080" in container.attrs["Config"]["Env"]
