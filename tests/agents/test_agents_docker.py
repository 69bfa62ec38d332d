"""agents up/status/down against the Jenkins double and the real Docker engine(s)."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from jenkinsgen.agents.containers import AGENT, CONTROLLER, MANAGED, POOL, SECRET_PATH
from tests.agents.conftest import LOCAL, Controller
from tests.agents.engines import SecondEngine
from tests.jenkins_double.nodes import nodes_of

pytestmark = pytest.mark.docker


def _ours(client: Any, ctl: Controller) -> dict[str, Any]:
    filters = {"label": [f"{MANAGED}=true", f"{CONTROLLER}={ctl.id}"]}
    return {c.labels[AGENT]: c for c in client.containers.list(all=True, filters=filters)}


def _nanoseconds(created: str) -> tuple[str, int]:
    """Docker's RFC 3339 creation time (UTC, trailing zeros of the fraction dropped) as a key."""
    whole, _, fraction = created.rstrip("Z").partition(".")
    return whole, int(fraction.ljust(9, "0")[:9])


def _status(ctl: Controller, hosts: tuple[str, ...] = (LOCAL,)) -> list[dict[str, str]]:
    result = ctl.cli("status", "--output", "json", hosts=hosts)
    assert result.exit_code == 0, result.output
    rows: list[dict[str, str]] = json.loads(result.stdout)
    return rows


@pytest.mark.parametrize("count", [1, 3])
def test_up_status_down(
    controller: Controller, docker_client: Any, agent_image: str, count: int
) -> None:
    result = controller.cli(
        "up", "--count", str(count), "--label", "docker", "--image", agent_image, "--executors", "2"
    )
    assert result.exit_code == 0, result.output
    names = [f"docker-agent-{i}" for i in range(1, count + 1)]
    assert nodes_of(controller.double).names() == names
    containers = _ours(docker_client, controller)
    assert sorted(containers) == names
    for name, c in containers.items():
        c.reload()
        assert c.status == "running"
        host = c.attrs["HostConfig"]
        assert host["NetworkMode"] == "host"
        assert host["RestartPolicy"]["Name"] == "unless-stopped"
        assert host["Binds"] == ["/var/run/docker.sock:/var/run/docker.sock:rw"]
        assert c.labels[POOL] == "docker-agent"
        env = dict(e.split("=", 1) for e in c.attrs["Config"]["Env"])
        assert env["JENKINS_AGENT_NAME"] == name
        assert env["JENKINS_URL"] == controller.url
        # JENKINS_SECRET names the secret file, which only the agent user (1000) can read
        assert env["JENKINS_SECRET"] == "@" + SECRET_PATH
        shown = c.exec_run(["stat", "-c", "%u %g %a", SECRET_PATH], user="root").output
        assert shown.decode().split() == ["1000", "1000", "400"]
        content = c.exec_run(["cat", SECRET_PATH], user="root").output.decode()
        assert content == nodes_of(controller.double).secret(name)
    node = nodes_of(controller.double).nodes["docker-agent-1"]
    assert node.executors == 2 and node.labels == "docker"
    assert node.remote_fs == "/home/jenkins/agent"
    assert node.launcher["stapler-class"] == "hudson.slaves.JNLPLauncher"

    rows = _status(controller)
    assert [r["node"] for r in rows] == names
    assert {(r["container"], r["jenkins"], r["host"]) for r in rows} == {
        ("running", "offline", LOCAL)
    }
    nodes_of(controller.double).set_online("docker-agent-1")
    nodes_of(controller.double).set_busy("docker-agent-1")
    table = controller.cli("status").stdout
    assert table.splitlines()[0].split() == [
        "node",
        "pool",
        "host",
        "container",
        "jenkins",
        "activity",
    ]
    assert (
        "docker-agent-1  docker-agent  unix:///var/run/docker.sock  running    online   busy"
        in table
    )

    result = controller.cli("down", "--all")
    assert result.exit_code == 0, result.output
    assert f"{count} agent(s) removed" in result.stdout
    assert nodes_of(controller.double).names() == []
    assert _ours(docker_client, controller) == {}


def test_up_to_zero_removes_everything_and_reruns_are_no_ops(
    controller: Controller, docker_client: Any, agent_image: str
) -> None:
    args = ("--label", "docker", "--image", agent_image)
    assert controller.cli("up", "--count", "3", *args).exit_code == 0
    ids = {n: c.id for n, c in _ours(docker_client, controller).items()}
    again = controller.cli("up", "--count", "3", *args)
    assert again.exit_code == 0 and "0 change(s)" in again.stdout
    assert {n: c.id for n, c in _ours(docker_client, controller).items()} == ids
    zero = controller.cli("up", "--count", "0", *args)
    assert zero.exit_code == 0, zero.output
    assert nodes_of(controller.double).names() == []
    assert _ours(docker_client, controller) == {}


def test_secret_never_in_output_inspect_or_process_lists(
    controller: Controller, docker_client: Any, upstream_like_image: str
) -> None:
    result = controller.cli(
        "up", "--count", "1", "--label", "docker", "--image", upstream_like_image, verbose=True
    )
    assert result.exit_code == 0, result.output
    secret = nodes_of(controller.double).secret("docker-agent-1")
    assert secret not in result.output
    c = _ours(docker_client, controller)["docker-agent-1"]
    c.reload()
    config = c.attrs["Config"]
    assert secret not in json.dumps(config["Labels"])
    assert secret not in json.dumps(config["Cmd"]) + json.dumps(config["Entrypoint"])
    assert secret not in json.dumps(c.attrs["Args"])
    assert secret not in json.dumps(config["Env"])
    # The start script passes JENKINS_SECRET on the agent's command line, as upstream's does:
    # what a user without privileges sees in the host's process list is the file, not the value.
    for _ in range(100):  # the entrypoint drops privileges, then execs the agent
        out = subprocess.run(
            [
                "setpriv",
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                "ps",
                "-ww",
                "-eo",
                "args",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        if f"-secret @{SECRET_PATH} -name docker-agent-1" in out:
            break
        time.sleep(0.1)
    assert f"-secret @{SECRET_PATH} -name docker-agent-1" in out
    assert secret not in out
    assert secret not in c.logs().decode()
    status = controller.cli("status", "--output", "json")
    assert secret not in status.output


def test_converges_after_kill_stop_node_deletion_and_leaves_strays_alone(
    controller: Controller, docker_client: Any, agent_image: str, stray: Callable[[], Any]
) -> None:
    args = ("--label", "docker", "--image", agent_image)
    assert controller.cli("up", "--count", "3", *args).exit_code == 0
    before = _ours(docker_client, controller)
    nodes = nodes_of(controller.double)
    before["docker-agent-1"].remove(force=True)  # container vanished
    before["docker-agent-2"].stop(timeout=1)  # container stopped
    nodes.remove("docker-agent-3")  # node deleted in the UI
    nodes.add("docker-agent-4", description="made by hand")  # someone else's node
    foreign = stray()

    result = controller.cli("up", "--count", "4", *args)
    assert result.exit_code == 0, result.output
    assert "started docker-agent-1" in result.stdout
    assert "restarted docker-agent-2" in result.stdout
    assert "repaired docker-agent-3" in result.stdout
    assert "created docker-agent-5" in result.stdout
    after = _ours(docker_client, controller)
    assert sorted(after) == ["docker-agent-1", "docker-agent-2", "docker-agent-3", "docker-agent-5"]
    assert after["docker-agent-2"].id == before["docker-agent-2"].id
    assert after["docker-agent-3"].id != before["docker-agent-3"].id
    assert all(c.status == "running" for c in after.values())
    assert nodes.names() == [f"docker-agent-{i}" for i in range(1, 6)]
    assert nodes.nodes["docker-agent-4"].description == "made by hand"
    foreign.reload()
    assert foreign.status == "running"

    # down by name refuses what is not ours, and changes nothing
    refused = controller.cli("down", "docker-agent-4", "docker-agent-1")
    assert refused.exit_code == 1
    assert "docker-agent-4: not an agent jenkinsgen created; left alone" in refused.output
    assert "Traceback" not in refused.output
    assert "docker-agent-1" in nodes.names()
    gone = controller.cli("down", "--all")
    assert gone.exit_code == 0, gone.output
    assert nodes.names() == ["docker-agent-4"]
    foreign.reload()
    assert foreign.status == "running"


def test_extras_are_removed_newest_first(
    controller: Controller, docker_client: Any, agent_image: str
) -> None:
    args = ("--label", "docker", "--image", agent_image, "--pool", "build")
    assert controller.cli("up", "--count", "2", *args).exit_code == 0
    assert controller.cli("up", "--count", "3", *args).exit_code == 0
    # The engine's creation times (nanoseconds) decide, not names or the wall clock.
    created = {name: c.attrs["Created"] for name, c in _ours(docker_client, controller).items()}
    newest = max(created, key=lambda name: _nanoseconds(created[name]))
    down = controller.cli("up", "--count", "2", *args)
    assert down.exit_code == 0, down.output
    assert f"removed {newest}" in down.stdout
    assert sorted(_ours(docker_client, controller)) == sorted(set(created) - {newest})


def test_two_docker_hosts_round_robin(
    controller: Controller,
    docker_client: Any,
    agent_image: str,
    second_engine: SecondEngine,
    second_cleanup: None,
) -> None:
    hosts = (LOCAL, second_engine.url)
    result = controller.cli(
        "up", "--count", "4", "--label", "docker", "--image", agent_image, hosts=hosts
    )
    assert result.exit_code == 0, result.output
    local, remote = _ours(docker_client, controller), _ours(second_engine.client, controller)
    assert len(local) == 2 and len(remote) == 2
    assert sorted([*local, *remote]) == [f"docker-agent-{i}" for i in range(1, 5)]
    for c in remote.values():
        c.reload()
        assert c.status == "running"
        # an engine on another socket mounts its own socket into its agents
        assert c.attrs["HostConfig"]["Binds"] == [f"{second_engine.socket}:/var/run/docker.sock:rw"]
    rows = _status(controller, hosts)
    assert sorted(r["host"] for r in rows) == sorted(
        [LOCAL, LOCAL, second_engine.url, second_engine.url]
    )
    # a container lost on the second host comes back on that host
    lost, other = sorted(remote)
    remote[lost].remove(force=True)
    args = ("--count", "4", "--label", "docker", "--image", agent_image)
    again = controller.cli("up", *args, hosts=hosts)
    assert again.exit_code == 0, again.output
    assert f"started {lost} on {second_engine.url}" in again.stdout
    assert sorted(_ours(second_engine.client, controller)) == sorted(remote)
    # leaving that host out is refused before anything changes, naming the agent
    remote_now = _ours(second_engine.client, controller)
    remote_now[other].remove(force=True)
    refused = controller.cli("up", *args, hosts=(LOCAL,))
    assert refused.exit_code == 1
    assert f"{other}: its container was started on {second_engine.url}" in refused.stderr
    assert sorted(_ours(docker_client, controller)) == sorted(local)
    row = next(r for r in _status(controller, (LOCAL,)) if r["node"] == other)
    assert (row["host"], row["container"]) == (second_engine.url, "missing")
    assert controller.cli("up", *args, hosts=hosts).exit_code == 0
    # down refuses too: deleting the nodes alone would leave the other host's agents orphaned
    partial = controller.cli("down", "--all", hosts=(LOCAL,))
    assert partial.exit_code == 1
    for name in sorted(remote):
        assert f"{name}: its container was started on {second_engine.url}" in partial.stderr
    assert nodes_of(controller.double).names() == [f"docker-agent-{i}" for i in range(1, 5)]
    assert sorted(_ours(docker_client, controller)) == sorted(local)
    assert controller.cli("down", "--all", hosts=hosts).exit_code == 0
    assert _ours(second_engine.client, controller) == {}
    assert nodes_of(controller.double).names() == []


def test_wait_fails_naming_agents_and_showing_their_logs(
    controller: Controller, docker_client: Any, chatty_image: str
) -> None:
    result = controller.cli(
        "up",
        "--count",
        "2",
        "--label",
        "docker",
        "--image",
        chatty_image,
        "--wait",
        "--timeout",
        "2",
    )
    assert result.exit_code == 1
    err = result.stderr
    assert "2 of 2 agent(s) did not connect within 2s: docker-agent-1, docker-agent-2" in err
    assert f"docker-agent-1 | connecting docker-agent-1 to {controller.url}" in err
    assert "docker-agent-2 | refused secret ****" in err
    for name in ("docker-agent-1", "docker-agent-2"):
        assert nodes_of(controller.double).secret(name) not in result.output
    assert "Traceback" not in result.output


def test_wait_succeeds_when_agents_come_online(
    controller: Controller, docker_client: Any, agent_image: str
) -> None:
    nodes = nodes_of(controller.double)

    def connect_later() -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            names = nodes.names()
            # online only after `up` listed the nodes once to plan and once to wait
            if (
                len(names) == 2
                and controller.double.counters.count("GET", "computer/api/json") >= 2
            ):
                for n in names:
                    nodes.set_online(n)
                return
            time.sleep(0.05)

    agent = threading.Thread(target=connect_later)
    agent.start()
    result = controller.cli(
        "up",
        "--count",
        "2",
        "--label",
        "docker",
        "--image",
        agent_image,
        "--wait",
        "--timeout",
        "30",
    )
    agent.join()
    assert result.exit_code == 0, result.output
    assert "waiting: 0/2 online" in result.stdout
    assert "docker-agent: all 2 agent(s) online" in result.stdout


def test_missing_image_fails_before_any_change(controller: Controller) -> None:
    result = controller.cli(
        "up", "--count", "2", "--label", "docker", "--image", "jenkinsgen-test/no-such-agent:0"
    )
    assert result.exit_code == 1
    assert (
        "image jenkinsgen-test/no-such-agent:0 is not there and cannot be pulled" in result.stderr
    )
    assert nodes_of(controller.double).names() == []


@pytest.mark.parametrize(
    ("host", "message"),
    [
        ("http://127.0.0.1:2375", "use unix://, tcp:// or ssh://"),
        ("tcp://build.example.com:2375", "refusing plain TCP to a remote engine"),
        ("unix:///nonexistent/docker.sock", "cannot connect"),
    ],
)
def test_bad_docker_host_is_one_clear_error(
    controller: Controller, host: str, message: str
) -> None:
    result = controller.cli("status", hosts=(host,))
    assert result.exit_code == 1
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_tls_docker_host_with_per_host_certificates(
    controller: Controller,
    agent_image: str,
    second_engine: SecondEngine,
    second_cleanup: None,
) -> None:
    tls = (
        f"{second_engine.tls_url}?certs={second_engine.client_certs}&socket={second_engine.socket}"
    )
    result = controller.cli(
        "up", "--count", "1", "--label", "docker", "--image", agent_image, hosts=(tls,)
    )
    assert result.exit_code == 0, result.output
    assert f"created docker-agent-1 on {second_engine.tls_url}" in result.stdout
    (c,) = _ours(second_engine.client, controller).values()
    assert c.attrs["HostConfig"]["Binds"] == [f"{second_engine.socket}:/var/run/docker.sock:rw"]
    rows = _status(controller, (tls,))
    assert [(r["node"], r["host"], r["container"]) for r in rows] == [
        ("docker-agent-1", second_engine.tls_url, "running")
    ]
    # without the client certificate the TLS engine refuses: one clear error, nothing changed
    plain = controller.cli("status", hosts=(second_engine.tls_url,))
    assert plain.exit_code == 1
    assert f"docker host {second_engine.tls_url}: cannot connect" in plain.stderr
    assert controller.cli("down", "--all", hosts=(tls,)).exit_code == 0
    assert _ours(second_engine.client, controller) == {}


def test_a_container_that_cannot_start_leaves_neither_container_nor_node(
    controller: Controller, docker_client: Any, agent_image: str
) -> None:
    # the engine cannot create the bind-mount source under /proc: start fails after create
    host = "unix:///var/run/docker.sock?socket=/proc/jenkinsgen-no-such/docker.sock"
    result = controller.cli(
        "up", "--count", "1", "--label", "docker", "--image", agent_image, hosts=(host,)
    )
    assert result.exit_code == 1
    assert "docker-agent-1: create failed: docker-agent-1: starting its container on" in (
        result.stderr
    )
    assert "Traceback" not in result.output
    assert _ours(docker_client, controller) == {}
    assert nodes_of(controller.double).names() == []
