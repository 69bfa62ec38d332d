"""Placement strategies, Docker host URLs, and the node API against the Jenkins double."""

from __future__ import annotations

from pathlib import Path

import pytest

from jenkinsgen.agents.containers import controller_id, redact
from jenkinsgen.agents.hosts import parse_host
from jenkinsgen.agents.inventory import node_description, node_host, node_pool
from jenkinsgen.agents.placement import Capacity, place
from jenkinsgen.errors import AgentError
from jenkinsgen.jenkins.client import JenkinsClient, JenkinsRequestError
from jenkinsgen.jenkins.nodes import (
    AgentSecret,
    create_inbound_node,
    delete_node,
    get_node,
    list_nodes,
    node_secret,
)
from tests.jenkins_double.nodes import nodes_of
from tests.jenkins_double.server import JenkinsDouble

A, B, C = "unix:///a.sock", "unix:///b.sock", "unix:///c.sock"


def test_round_robin_from_empty_alternates() -> None:
    assert place([A, B], 5) == [A, B, A, B, A]


def test_round_robin_fills_the_emptiest_host_first() -> None:
    assert place([A, B, C], 4, current={A: 3, B: 0, C: 1}) == [B, B, C, B]


def test_capacity_prefers_more_cpus_per_running_container() -> None:
    capacity = {
        A: Capacity(cpus=2, memory=4 << 30, running=0),
        B: Capacity(cpus=8, memory=16 << 30, running=1),
    }
    # CPUs per container after placing: B 8/2, B 8/3, then A 2/1 = B 8/4 (tie: memory per
    # container 4 GiB each; host order → A), then B 8/4 beats A 2/2.
    assert place([A, B], 4, strategy="capacity", capacity=capacity) == [B, B, A, B]


def test_capacity_needs_every_host() -> None:
    with pytest.raises(ValueError, match="capacity of every host"):
        place([A, B], 1, strategy="capacity", capacity={A: Capacity(1, 1, 0)})


def test_parse_hosts(tmp_path: Path) -> None:
    local = parse_host("unix:///var/run/docker.sock")
    assert (local.address, local.socket_path) == (
        "unix:///var/run/docker.sock",
        "/var/run/docker.sock",
    )
    other = parse_host("unix:///tmp/d2/docker.sock")
    assert other.socket_path == "/tmp/d2/docker.sock"
    loop = parse_host("tcp://127.0.0.1:2375")
    assert (loop.address, loop.cert_dir) == ("http://127.0.0.1:2375", None)
    for name in ("ca.pem", "cert.pem", "key.pem"):
        (tmp_path / name).write_text("x")
    tls = parse_host(f"tcp://build.example.com:2376?certs={tmp_path}")
    assert (tls.address, tls.cert_dir, tls.url) == (
        "https://build.example.com:2376",
        str(tmp_path),
        "tcp://build.example.com:2376",
    )
    env = parse_host(
        "tcp://build.example.com:2376",
        {"DOCKER_TLS_VERIFY": "1", "DOCKER_CERT_PATH": str(tmp_path)},
    )
    assert env.cert_dir == str(tmp_path)
    ssh = parse_host("ssh://ci@build.example.com?socket=/run/docker.sock")
    assert (ssh.scheme, ssh.address, ssh.socket_path) == (
        "ssh",
        "ssh://ci@build.example.com",
        "/run/docker.sock",
    )


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("unix://relative.sock", "unix:///absolute/path"),
        ("tcp://host", "tcp://HOST:PORT"),
        ("tcp://build.example.com:2376?certs=/nonexistent", "/nonexistent/ca.pem not found"),
        ("tcp://127.0.0.1:2375?tls=1", "unknown option(s) tls"),
        ("npipe:////./pipe/docker_engine", "use unix://, tcp:// or ssh://"),
    ],
)
def test_bad_hosts(spec: str, message: str) -> None:
    with pytest.raises(AgentError, match=None) as info:
        parse_host(spec, {})
    assert message in str(info.value)


def test_marker_round_trip_and_controller_id() -> None:
    assert node_pool(node_description("docker-agent")) == "docker-agent"
    described = node_description("docker-agent", "tcp://b.example.com:2376")
    assert node_pool(described) == "docker-agent"
    assert node_host(described) == "tcp://b.example.com:2376"
    assert node_host(node_description("docker-agent")) is None
    assert node_pool("a node somebody made") is None
    assert node_pool("managed-by: jenkinsgen-agents pool=x y") is None
    assert controller_id("HTTP://Jenkins.Example.com/ci/") == controller_id(
        "http://jenkins.example.com/ci"
    )
    assert controller_id("http://a/ci") != controller_id("http://a/CI")


def test_redact_scrubs_known_and_secret_shaped_values() -> None:
    secret = AgentSecret("s3cr3t-value")
    hexy = "ab" * 32
    assert redact(f"x s3cr3t-value y {hexy} z", secret) == "x **** y **** z"
    assert "s3cr3t" not in repr(secret) and "s3cr3t" not in str(secret)


def test_node_api_against_the_double(jenkins_double: JenkinsDouble) -> None:
    client = JenkinsClient(jenkins_double.url)
    create_inbound_node(
        client,
        "a-1",
        description="d",
        executors=3,
        remote_fs="/home/jenkins/agent",
        labels="docker linux",
        websocket=True,
    )
    node = nodes_of(jenkins_double).nodes["a-1"]
    assert (node.executors, node.labels, node.launcher["webSocket"]) == (3, "docker linux", True)
    with pytest.raises(JenkinsRequestError, match="already exists"):
        create_inbound_node(
            client, "a-1", description="d", executors=1, remote_fs="/x", labels="docker"
        )
    (info,) = list_nodes(client)  # the built-in node is left out
    assert (info.name, info.description, info.offline, info.idle, info.executors) == (
        "a-1",
        "d",
        True,
        True,
        3,
    )
    assert get_node(client, "nope") is None
    secret = node_secret(client, "a-1")
    assert secret.reveal() == nodes_of(jenkins_double).secret("a-1")
    with pytest.raises(JenkinsRequestError) as missing:
        node_secret(client, "nope")
    assert missing.value.status == 404
    assert delete_node(client, "a-1") is True
    assert delete_node(client, "a-1") is False
    assert list_nodes(client) == []


def test_secret_needs_credentials_on_a_secured_controller(
    secured_jenkins_double: JenkinsDouble,
) -> None:
    nodes_of(secured_jenkins_double).add("a-1")
    with pytest.raises(JenkinsRequestError) as info:
        node_secret(JenkinsClient(secured_jenkins_double.url), "a-1")
    assert info.value.status in (401, 403)
    assert nodes_of(secured_jenkins_double).secret("a-1") not in str(info.value)


def test_sweep_removes_only_dead_and_old_second_engine_dirs(tmp_path: Path) -> None:
    import os
    import subprocess
    import time

    from tests.agents.engines import PREFIX, sweep_orphans

    dead, young, live, other = (
        tmp_path / f"{PREFIX}dead",
        tmp_path / f"{PREFIX}young",
        tmp_path / f"{PREFIX}live",
        tmp_path / "not-ours",
    )
    for d in (dead, young, live, other):
        (d / "data").mkdir(parents=True)
    old = os.stat(tmp_path).st_mtime - 3600
    for d in (dead, live, other):
        os.utime(d, (old, old))
    # a process whose command line looks like a daemon serving `live`
    daemon = subprocess.Popen(["sh", "-c", "sleep 60; :", "dockerd", f"--data-root={live}/data"])
    try:
        cmdline = Path(f"/proc/{daemon.pid}/cmdline")
        while b"dockerd" not in cmdline.read_bytes():  # empty until exec has finished
            time.sleep(0.01)
        assert sweep_orphans(tmp_path, min_age=120) == [dead]
    finally:
        daemon.kill()
        daemon.wait()
    assert not dead.exists() and young.exists() and live.exists() and other.exists()


@pytest.mark.parametrize("page", ["jenkins-agent.jnlp", "slave-agent.jnlp"])
def test_double_jnlp_arguments_are_secret_name_then_options(
    jenkins_double: JenkinsDouble, page: str
) -> None:
    import requests
    from lxml import etree

    client = JenkinsClient(jenkins_double.url)
    create_inbound_node(
        client,
        "a-2",
        description="d",
        executors=1,
        remote_fs="/home/jenkins/agent",
        labels="docker",
        websocket=True,
    )
    answer = requests.get(f"{jenkins_double.url}/computer/a-2/{page}", timeout=10)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("application/x-java-jnlp-file")
    root = etree.fromstring(answer.content)
    args = [a.text or "" for a in root.findall(".//application-desc/argument")]
    assert args[:2] == [nodes_of(jenkins_double).secret("a-2"), "a-2"]
    options = args[2:]
    assert options[options.index("-workDir") + 1] == "/home/jenkins/agent"
    assert options[options.index("-url") + 1] == jenkins_double.url + "/"
    assert "-webSocket" in options


def test_an_engine_gone_after_connecting_is_a_clear_error(jenkins_double: JenkinsDouble) -> None:
    """The SDK raises requests' errors, not its own, when the engine stops answering."""
    import socket

    import docker

    from jenkinsgen.agents import AgentSettings, Engine, UpOptions, status, up

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    url = f"tcp://127.0.0.1:{port}"
    client = docker.DockerClient(base_url=url, version="1.41", timeout=5)  # no probe: "connected"
    engines = [Engine(parse_host(url), client)]
    jenkins = JenkinsClient(jenkins_double.url)
    try:
        with pytest.raises(AgentError, match=rf"listing containers on {url} failed"):
            status(jenkins, engines, "c0ffee")
        settings = AgentSettings(image="a/b:1", jenkins_url="http://j", controller="c", pool="p")
        options = UpOptions(count=1, labels="docker", pool="p", settings=settings)
        with pytest.raises(AgentError, match=rf"on {url} failed"):
            up(jenkins, engines, options)
        assert list_nodes(jenkins) == []
    finally:
        client.close()
