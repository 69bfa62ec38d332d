"""Blue-green releases under steady load through the real HAProxy: zero failed requests.

A second process sends requests all the time (and keeps a slow one in flight) while the
service goes v1 → v2 (awaiting confirm) → confirm → v3 → rollback → a never-healthy v4 → a
v5 that exits at once. Every response must be 2xx; after each switch every response must
come from the expected version; each switch's request and failure counts are printed.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from jenkinsgen.release import Hooks, confirm, deploy, rollback
from jenkinsgen.release.haproxy import RuntimeApi
from jenkinsgen.release.slotops import NotHealthy
from tests.release.harness import Load, World

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def test_deploy_confirm_rollback_under_load_fail_no_request(world: World) -> None:
    steps: list[tuple[float, str]] = []
    site = world.site(Hooks(step=lambda name, _: steps.append((time.monotonic(), name))))
    images = world.images
    first = deploy(site, "orders", images["v1"])
    assert first.status == "confirmed"  # a first release has nothing to confirm
    assert world.versions() == {"v1"}

    load = Load(world, world.root / "load.jsonl", slow=2.0)
    phases: list[tuple[str, float, float, str]] = []  # name, start, end, version after

    def phase(name: str, expect_after: str, action: Any) -> Any:
        start = time.monotonic()
        try:
            return action()
        finally:
            phases.append((name, start, time.monotonic(), expect_after))
            time.sleep(1.5)  # steady state: every answer from the expected version

    try:
        time.sleep(1.0)
        record = phase("deploy v2", "v2", lambda: deploy(site, "orders", images["v2"]))
        assert record.status == "awaiting-confirm"
        assert set(RuntimeApi(str(world.root / "haproxy.sock")).servers("svc_orders")) == {
            "blue",
            "green",
        }
        record = phase("confirm v2", "v2", lambda: confirm(site, "orders"))
        assert record.status == "confirmed"
        record = phase("deploy v3", "v3", lambda: deploy(site, "orders", images["v3"]))
        assert record.status == "awaiting-confirm"
        record = phase("rollback v3", "v2", lambda: rollback(site, "orders"))
        assert record.status == "rolled-back"
        for bad in ("v4", "v5"):
            with pytest.raises(NotHealthy):
                phase(
                    f"deploy {bad} (never healthy)",
                    "v2",
                    lambda image=images[bad]: deploy(site, "orders", image),
                )
    finally:
        load.stop()

    print("\nphase                        requests  failed  versions")
    for i, (name, start, end, expect) in enumerate(phases):
        during = load.window(start, end)
        print(f"{name:<28} {during.sent:>8}  {during.failed:>6}  {during.versions}")
        assert during.failed == 0, during.failures
        after_end = phases[i + 1][1] if i + 1 < len(phases) else end + 1.5
        after = load.window(end, after_end)
        assert after.sent > 0 and after.failed == 0, after.failures
        assert set(after.versions) == {expect}, (name, after)
    total = load.window(0, float("inf"))
    print(f"{'whole run':<28} {total.sent:>8}  {total.failed:>6}  {total.versions}")
    assert total.failed == 0 and total.sent > 500

    # A slow request was running on the old version while it was drained, and the old
    # container was removed only after it had answered.
    confirm_start, confirm_end = phases[1][1], phases[1][2]
    retired = [t for t, name in steps if name == "confirm.retire" and confirm_start <= t]
    assert retired
    slow_on_v1 = [
        r for r in load.rows if r[2] == "slow" and r[4] == "v1" and r[0] < confirm_start < r[1]
    ]
    assert slow_on_v1, "no slow request was in flight on v1 when confirm began"
    assert all(r[3] == 200 and r[1] <= retired[0] for r in slow_on_v1)
    assert confirm_end - confirm_start >= min(r[1] for r in slow_on_v1) - confirm_start

    # Nothing of ours is left but the live version; v4 and v5 were removed.
    names = sorted(c.labels["io.jenkinsgen.release.image"] for c in world.our_containers())
    assert names == [images["v2"]]


def test_haproxy_killed_and_restarted_routes_as_before(world: World) -> None:
    site = world.site()
    deploy(site, "orders", world.images["v1"])
    deploy(site, "orders", world.images["v2"])  # awaits confirm: v1 at weight 0
    assert world.haproxy is not None
    api = RuntimeApi(str(world.root / "haproxy.sock"))
    before = {n: (s.weight, s.maint) for n, s in api.servers("svc_orders").items()}
    payments_before = {n: s.maint for n, s in api.servers("svc_payments").items()}

    world.haproxy.kill()
    world.haproxy.start()  # from the configuration jenkinsgen wrote

    assert {n: (s.weight, s.maint) for n, s in api.servers("svc_orders").items()} == before
    assert {n: s.maint for n, s in api.servers("svc_payments").items()} == payments_before
    assert world.versions(50) == {"v2"}
    assert world.get("/", host="unknown.example.com")[0] == 404

    # Releases go on with the restarted HAProxy.
    assert confirm(site, "orders").status == "confirmed"
    assert world.versions(20) == {"v2"}
    world.haproxy.kill()
    world.haproxy.start()
    assert world.versions(20) == {"v2"}
    servers = api.servers("svc_orders")
    assert servers["blue"].maint and servers["green"].weight == 100
