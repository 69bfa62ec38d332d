"""``release status`` shows every difference between the state, the containers and HAProxy,
and the ways back from each: a killed live container, a weight changed behind our back, a
stray container, HAProxy or the state file gone."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from jenkinsgen.release import deploy
from jenkinsgen.release.haproxy import RuntimeApi
from jenkinsgen.release.slots import LABEL
from tests.release.harness import World

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def status(world: World) -> tuple[int, str, dict[str, Any]]:
    text = world.cli("status", str(world.spec_path))
    assert "Traceback" not in text.stderr
    report = json.loads(world.cli("status", str(world.spec_path), "--output", "json").stdout)
    return text.returncode, text.stdout, report["environments"]["prod"]


def api(world: World) -> RuntimeApi:
    return RuntimeApi(str(world.root / "haproxy.sock"))


def cli(world: World, *args: str) -> str:
    proc = world.cli(*args, str(world.spec_path), "--env", "prod", "--service", "orders")
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_status_of_a_clean_release_and_one_awaiting_confirm(world: World) -> None:
    site = world.site()
    deploy(site, "orders", world.images["v1"])
    code, text, report = status(world)
    assert code == 0 and "problem" not in text
    assert f"prod/orders: {world.images['v1']} live in blue" in text
    assert "prod/payments: nothing live" in text
    deploy(site, "orders", world.images["v2"])
    code, text, report = status(world)
    assert code == 0, text
    orders = report["services"][0]
    assert orders["live_slot"] == "green" and orders["pending"]["status"] == "awaiting-confirm"
    slots = {s["slot"]: s for s in orders["slots"]}
    assert slots["blue"]["role"] == "standby" and slots["blue"]["haproxy_weight"] == 0
    assert slots["green"]["role"] == "live" and slots["green"]["haproxy_weight"] == 100
    assert slots["green"]["check"].startswith("L7OK")


def test_a_killed_live_container_is_reported_and_deploying_its_image_repairs_it(
    world: World,
) -> None:
    site = world.site()
    deploy(site, "orders", world.images["v1"])
    [live] = world.our_containers()
    live.kill()
    deadline = time.monotonic() + 20
    while api(world).server("svc_orders", "blue").status != "DOWN":
        assert time.monotonic() < deadline
        time.sleep(0.2)
    code, text, _ = status(world)
    assert code == 1
    assert f"blue (live): container {live.name} is exited (exit code 137)" in text
    assert "blue (live): DOWN in HAProxy" in text
    # The same image again starts it anew in the other slot (it is not running).
    out = cli(world, "deploy", "--image", world.images["v1"])
    assert "awaiting-confirm" in out
    assert world.versions() == {"v1"}
    cli(world, "confirm")
    code, text, _ = status(world)
    assert code == 0 and "problem" not in text, text
    assert [c.status for c in world.our_containers()] == ["running"]


def test_a_weight_changed_behind_our_back_is_reported(world: World) -> None:
    site = world.site()
    deploy(site, "orders", world.images["v1"])
    api(world).set_weight("svc_orders", "blue", 7)
    code, text, _ = status(world)
    assert code == 1 and "blue: HAProxy gives it weight 7, the state 100" in text
    assert world.haproxy is not None
    world.haproxy.kill()
    world.haproxy.start()  # from the configuration: routes as the state says again
    assert status(world)[0] == 0


def test_a_stray_container_is_reported_and_removed_by_the_next_operation(world: World) -> None:
    site = world.site()
    deploy(site, "orders", world.images["v1"])
    state = site.store.load("orders")
    assert state is not None
    stray = world.docker.containers.create(
        world.images["v3"],
        name=f"{world.folder}-stray",
        labels={
            f"{LABEL}.folder": world.folder,
            f"{LABEL}.environment": "prod",
            f"{LABEL}.service": "orders",
            f"{LABEL}.slot": "green",
            f"{LABEL}.image": world.images["v3"],
            f"{LABEL}.id": "20250101-000000-abcdef",
            f"{LABEL}.ports": f"{state.ports['blue']},{state.ports['green']}",
        },
    )
    code, text, _ = status(world)
    assert code == 1 and f"container {stray.name} (green, {world.images['v3']}" in text
    deploy(site, "orders", world.images["v2"])
    names = [c.name for c in world.our_containers()]
    assert stray.name not in names and len(names) == 2


def test_haproxy_down_is_reported_and_nothing_is_started(world: World) -> None:
    site = world.site()
    deploy(site, "orders", world.images["v1"])
    assert world.haproxy is not None
    world.haproxy.kill()
    code, text, _ = status(world)
    assert code == 1 and "HAProxy is not running at" in text
    proc = world.cli(
        "deploy",
        str(world.spec_path),
        "--env",
        "prod",
        "--service",
        "orders",
        "--image",
        world.images["v2"],
    )
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith("error: HAProxy is not running at")
    assert len(world.our_containers()) == 1
    state = site.store.load("orders")
    assert state is not None and state.pending is None and len(state.history) == 1


def test_a_lost_state_is_rebuilt_from_the_containers_labels(world: World) -> None:
    site = world.site()
    deploy(site, "orders", world.images["v1"])
    deploy(site, "orders", world.images["v2"])  # awaiting confirm: two containers
    before = site.store.load("orders")
    assert before is not None
    for path in (world.root / "state").rglob("*.json"):
        path.unlink()
    code, text, _ = status(world)
    assert code == 1 and "no state file, but containers run" in text
    # rollback rebuilds the state (live: what HAProxy weights; pending: the newer one)
    cli(world, "rollback")
    assert world.versions() == {"v1"}
    after = site.store.load("orders")
    assert after is not None and after.ports == before.ports and after.live == "blue"
    assert status(world)[0] == 0


def test_an_unreachable_docker_engine_is_one_line(world: World) -> None:
    text = world.spec_path.read_text().replace(
        "      network: host",
        "      docker_host: unix:///nonexistent/docker.sock\n      network: host",
    )
    world.spec_path.write_text(text)
    proc = world.cli(
        "deploy",
        str(world.spec_path),
        "--env",
        "prod",
        "--service",
        "orders",
        "--image",
        world.images["v1"],
    )
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines() == [
        "error: docker host unix:///nonexistent/docker.sock: cannot connect: no such socket"
    ]
    code, text, report = status(world)
    assert code == 1 and report["problems"][0].startswith("Docker engine unix:///nonexistent")
