"""`jenkinsgen up` / `down` for real: Debian's docker-compose v1, the Docker engine, the
controller built on the stand-in jenkins/jenkins (it answers /login, nothing more), the seed
image as the release receiver, Debian's docker-registry and HAProxy 2.6 as REGISTRY_IMAGE and
PROXY_IMAGE. The tests of this module run in order on one stack; the finalizer removes every
container, volume, network and image it made, pass or fail."""

from __future__ import annotations

import base64
import contextlib
import json
import socket
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import pytest
from click.testing import Result

from jenkinsgen import __version__
from jenkinsgen.stack.settings import Settings, read_settings
from tests.dockerlib import base
from tests.stack.conftest import (
    StackBases,
    init_args,
    remove_stack,
    run_cli,
    set_env,
)

pytestmark = [pytest.mark.docker, pytest.mark.slow]

SERVICES = ["controller", "registry", "receiver", "proxy-dev", "proxy-staging", "proxy-prod"]


@dataclass
class World:
    directory: Path
    settings: Settings
    folder: str
    client: Any
    up_args: list[str]
    app_image: str

    def secret(self, name: str) -> str:
        return (self.directory / "secrets" / name).read_text().strip()

    def containers(self) -> dict[str, Any]:
        label = f"com.docker.compose.project={self.settings.compose_project_name}"
        found = self.client.containers.list(all=True, filters={"label": label})
        return {c.labels["com.docker.compose.service"]: c for c in found}

    def up(self) -> Result:
        result = run_cli(*self.up_args)
        assert result.exit_code == 0, result.output
        return result


@pytest.fixture(scope="module")
def world(
    docker_client: Any,
    stack_bases: StackBases,
    jenkinsgen_wheel: Path,
    plugins_lock_for: Any,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[World]:
    name = f"jgstack-{uuid.uuid4().hex[:8]}"
    directory = tmp_path_factory.mktemp("stacks") / name
    folder = f"jgst{uuid.uuid4().hex[:8]}"
    result = run_cli(*init_args(directory, folder))
    assert result.exit_code == 0, result.output
    set_env(
        directory,
        REGISTRY_IMAGE=stack_bases.registry,
        PROXY_IMAGE=stack_bases.proxy,
        RECEIVER_IMAGE=f"jenkinsgen-test/{name}-seed:{__version__}",
    )
    settings = read_settings(directory / ".env")
    app_image = f"{settings.registry}/{folder}/orders:v1"
    lock = plugins_lock_for(directory / "plugins.txt")
    up_args = [
        "up",
        str(directory),
        "--bundle",
        str(lock),
        "--wheel",
        str(jenkinsgen_wheel),
        "--controller-base",
        stack_bases.controller,
        "--agent-base",
        stack_bases.agent,
        "--seed-base",
        stack_bases.seed,
        "--timeout",
        "120",
    ]
    try:
        yield World(directory, settings, folder, docker_client, up_args, app_image)
    finally:
        remove_stack(docker_client, settings.compose_project_name, folder)
        with contextlib.suppress(docker.errors.ImageNotFound):
            docker_client.images.remove(app_image, force=True)


def listening(port: int) -> list[str]:
    """The IPv4 and IPv6 addresses something listens on at ``port`` (/proc/net/tcp*)."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, _, hex_port = local.partition(":")
            if state != "0A" or int(hex_port, 16) != port:
                continue
            raw = bytes.fromhex(address)
            if len(raw) == 4:
                found.append(socket.inet_ntop(socket.AF_INET, raw[::-1]))
            else:
                words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
                found.append(socket.inet_ntop(socket.AF_INET6, words))
    return found


def http(
    url: str,
    *,
    method: str = "GET",
    data: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


@pytest.mark.timeout(1800)  # a machine without the cached layers builds three images first
def test_up_starts_every_part_and_says_where_each_answers(world: World) -> None:
    result = world.up()
    s = world.settings
    assert f"stack {s.compose_project_name} is up:" in result.stdout
    for line in (
        f"jenkins   {s.jenkins_url}",
        f"registry  {s.registry}",
        f"receiver  {s.receiver_url}",
    ):
        assert line in result.stdout
    # progress (the builds, compose, each part's readiness) goes to stderr
    for name in SERVICES:
        assert f"{name} ready after" in result.stderr and f"{name} ready" not in result.stdout
    assert "Successfully built" in result.stderr
    containers = world.containers()
    assert sorted(containers) == sorted(SERVICES)
    for name, container in containers.items():
        container.reload()
        assert container.status == "running", (name, container.logs(tail=20))
        assert container.attrs["HostConfig"]["NetworkMode"] == "host", name
        assert not container.attrs["HostConfig"].get("PortBindings"), name
    # every server listens on BIND_ADDRESS (127.0.0.1) only
    ports = [s.jenkins_port, s.registry_port, s.receiver_port]
    for port in ports:
        assert listening(port) == ["127.0.0.1"], port
    # the images up built carry the stack's label; the seed job's tag names the receiver's
    built = {
        tag
        for image in world.client.images.list(
            filters={"label": f"org.jenkinsgen.stack={s.compose_project_name}"}
        )
        for tag in image.tags
    }
    assert {s.controller_image, s.agent_image, s.receiver_image} <= built
    assert f"{s.registry}/{world.folder}/jenkinsgen-seed:{__version__}" in built


def test_the_registry_accepts_a_push_with_the_generated_credentials(world: World) -> None:
    client = world.client
    client.images.get(base.release_app(client)).tag(world.app_image)
    repository, _, tag = world.app_image.rpartition(":")
    good = {"username": "jenkinsgen", "password": world.secret("registry-password")}
    chunks = list(client.api.push(repository, tag=tag, auth_config=good, stream=True, decode=True))
    assert not [c for c in chunks if "error" in c], chunks[-3:]
    assert http(f"http://{world.settings.registry}/v2/_catalog")[0] == 401
    bad = {"username": "jenkinsgen", "password": "not-the-password"}
    chunks = list(client.api.push(repository, tag=tag, auth_config=bad, stream=True, decode=True))
    assert any("error" in c for c in chunks)


def test_the_receiver_answers_401_without_the_token_and_releases_with_it(world: World) -> None:
    receiver = world.settings.receiver_url
    assert http(f"{receiver}/healthz")[0] == 200
    body = json.dumps({"image": world.app_image, "environment": "dev"}).encode()
    status, _, _ = http(f"{receiver}/hooks/orders", method="POST", data=body)
    assert status == 401
    status, _, _ = http(
        f"{receiver}/hooks/orders",
        method="POST",
        data=body,
        headers={"Authorization": "Bearer wrong"},
    )
    assert status == 401
    # with the generated token: released blue-green into dev by the receiver (as nobody, with
    # the socket's group), through the HAProxy of dev (admin socket in the shared volume)
    token = {"Authorization": f"Bearer {world.secret('deploy-token')}"}
    status, headers, answer = http(
        f"{receiver}/hooks/orders",
        method="POST",
        data=body,
        headers={**token, "Content-Type": "application/json"},
    )
    assert status == 202, answer
    location = headers["Location"]
    deadline = time.monotonic() + 90
    while True:
        status, _, answer = http(location, headers=token)
        record = json.loads(answer)
        if record["status"] not in ("deploying", "switching") or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert record["status"] == "confirmed", record
    dev = world.containers()["proxy-dev"]
    listen = dev_listen(world)
    status, _, page = http(f"http://{listen}/", headers={"Host": "orders.localhost"})
    assert (status, page) == (200, b"unset\n"), dev.logs(tail=10)


def test_haproxy_admin_sockets_answer_the_receiver(world: World) -> None:
    receiver = world.containers()["receiver"]
    for env in ("dev", "staging", "prod"):
        code = (
            "import socket,sys; s=socket.socket(socket.AF_UNIX); "
            f"s.connect('/var/lib/jenkinsgen/{env}/haproxy.sock'); s.sendall(b'show info\\n'); "
            "sys.stdout.write(s.makefile().read())"
        )
        result = receiver.exec_run(["/opt/jenkinsgen/bin/python", "-c", code], user="nobody")
        assert result.exit_code == 0, result.output
        info = result.output.decode()
        assert "Name: HAProxy" in info and "Version: 2.6." in info, info[:200]


def test_the_controller_reads_its_secrets_as_files_and_nothing_else_holds_them(
    world: World,
) -> None:
    controller = world.containers()["controller"]
    secrets = {
        "JENKINS_ADMIN_PASSWORD": world.secret("admin-password"),
        "REGISTRY_PASSWORD": world.secret("registry-password"),
        "DEPLOY_TOKEN": world.secret("deploy-token"),
        "PUSH_TOKEN": world.secret("push-token"),
    }
    for name, value in secrets.items():
        # compose v1 mounts the 0600 host file as it is: the jenkins user cannot read it...
        mounted = controller.exec_run(["cat", f"/run/secrets/{name}"], user="jenkins")
        assert mounted.exit_code != 0 and b"Permission denied" in mounted.output
        # ...so the entrypoint handed it over: a 0400 file of jenkins on a tmpfs
        handed = controller.exec_run(["cat", f"/run/jenkinsgen/secrets/{name}"], user="jenkins")
        assert handed.exit_code == 0 and handed.output.decode().strip() == value, name
        mode = controller.exec_run(["stat", "-c", "%a %U %F", f"/run/jenkinsgen/secrets/{name}"])
        assert mode.output.decode().strip() == "400 jenkins regular file"
    fs = controller.exec_run(["stat", "-f", "-c", "%T", "/run/jenkinsgen/secrets"])
    assert fs.output.decode().strip() == "tmpfs"
    env = controller.attrs["Config"]["Env"]
    assert "SECRETS=/run/jenkinsgen/secrets" in env
    assert f"DOCKER_GID={world.settings.docker_gid}" in env
    casc = controller.exec_run(
        ["sh", "-c", "cat /usr/share/jenkinsgen/casc/*/*.yaml"]
    ).output.decode()
    for value in secrets.values():
        assert value not in " ".join(env) and value not in casc
    # the casc refers to each secret by name; agents get the host network and the socket group
    for reference in (
        "${REGISTRY_PASSWORD}",
        "${DEPLOY_TOKEN}",
        "${PUSH_TOKEN}",
        "${JENKINS_ADMIN_PASSWORD}",
    ):
        assert reference in casc
    assert "network: host" in casc and "extraGroupsString: ${DOCKER_GID}" in casc
    assert "slaveAgentPort: -1" in casc and f"url: {world.settings.jenkins_url}" in casc
    mounts = {m["Destination"]: m for m in controller.attrs["Mounts"]}
    assert mounts["/var/run/docker.sock"]["Source"] == world.settings.docker_socket
    groups = controller.exec_run(["id", "-G", "jenkins"]).output.decode().split()
    assert str(world.settings.docker_gid) in groups
    # the other containers do not hold the controller's secrets at all
    receiver = world.containers()["receiver"]
    listed = receiver.exec_run(["ls", "/run/secrets"]).output.decode().split()
    assert listed == ["DEPLOY_TOKEN"]


def test_up_after_a_spec_change_recreates_what_reads_the_spec(world: World) -> None:
    before = {name: c.id for name, c in world.containers().items()}
    spec = world.directory / "jenkinsgen.yaml"
    service = (
        "  - name: api\n"
        "    repo: https://git.example.com/acme/api.git\n"
        "    build: make\n"
        "    image: {name: api}\n"
        f"    trigger: {{webhook: {world.settings.receiver_url}/hooks/api,"
        " credentials: deploy-token}\n"
        "    run: {hosts: [api.localhost]}\n"
        "    environments: [dev]\n"
    )
    spec.write_text(spec.read_text().replace("seed:", service + "seed:", 1))
    result = world.up()
    after = {name: c.id for name, c in world.containers().items()}
    assert after["registry"] == before["registry"]  # nothing of it changed
    for name in ("controller", "receiver", "proxy-dev", "proxy-staging", "proxy-prod"):
        assert after[name] != before[name], name  # new jobs; the spec they read changed
    assert "Recreating" in result.stderr
    config = world.containers()["proxy-dev"].exec_run(
        ["cat", "/var/lib/jenkinsgen/dev/haproxy.cfg"]
    )
    assert b"backend svc_api" in config.output
    listen = dev_listen(world)
    assert http(f"http://{listen}/", headers={"Host": "api.localhost"})[0] == 503  # no release yet
    assert http(f"http://{listen}/", headers={"Host": "orders.localhost"})[:3:2] == (
        200,
        b"unset\n",
    )


def dev_listen(world: World) -> str:
    """HAProxy's frontend address of dev (the first environment), from the spec."""
    text = (world.directory / "jenkinsgen.yaml").read_text()
    return next(line.split()[-1] for line in text.splitlines() if "listen:" in line)


def test_down_keeps_the_volumes_and_up_again_reuses_them(world: World) -> None:
    project = world.settings.compose_project_name
    result = run_cli("down", str(world.directory))
    assert result.exit_code == 0, result.output
    assert "volumes kept" in result.output
    assert world.containers() == {}
    volumes = {
        v.name
        for v in world.client.volumes.list(
            filters={"label": f"com.docker.compose.project={project}"}
        )
    }
    assert volumes == {f"{project}_jenkins_home", f"{project}_registry", f"{project}_release"}
    world.up()
    containers = world.containers()
    assert sorted(containers) == sorted(SERVICES)
    # Jenkins' home: the jobs the first start installed are kept, none installed again
    logs = containers["controller"].logs().decode()
    assert "0 file(s) installed" in logs, logs
    # the registry still has the image pushed before
    auth = "jenkinsgen:" + world.secret("registry-password")
    header = {"Authorization": "Basic " + base64.b64encode(auth.encode()).decode()}
    status, _, body = http(f"http://{world.settings.registry}/v2/_catalog", headers=header)
    assert status == 200 and f"{world.folder}/orders" in json.loads(body)["repositories"]
    # the release state survived: the app released before still serves, HAProxy routes to it
    listen = dev_listen(world)
    deadline = time.monotonic() + 30
    while True:
        status, _, page = http(f"http://{listen}/", headers={"Host": "orders.localhost"})
        if status == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert (status, page) == (200, b"unset\n")


def test_down_volumes_removes_the_data_and_the_released_apps(world: World) -> None:
    project = world.settings.compose_project_name
    result = run_cli("down", str(world.directory), "--volumes")
    assert result.exit_code == 0, result.output
    assert "removed the released app container" in result.output
    assert world.containers() == {}
    assert (
        world.client.volumes.list(filters={"label": f"com.docker.compose.project={project}"}) == []
    )
    released = world.client.containers.list(
        all=True, filters={"label": f"io.jenkinsgen.release.folder={world.folder}"}
    )
    assert released == []
    with socket.socket() as sock:  # nothing listens on Jenkins' port any more
        assert sock.connect_ex(("127.0.0.1", world.settings.jenkins_port)) != 0
