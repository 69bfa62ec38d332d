"""A release killed (SIGKILL) at every step converges when rollback, confirm or the same
deploy is run again: the expected version serves, no stray container is left, status is
clean; and not one request through HAProxy fails meanwhile, crash included.

The crash driver (tests/release/crashdriver.py) runs the library in a process of its own
and kills it at the named step: after the state announcing a side effect is written, before
the side effect happens.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable

import pytest

from jenkinsgen.release import deploy
from tests.release.harness import JENKINSGEN, ROOT, Load, World

pytestmark = [pytest.mark.docker, pytest.mark.slow]

DEPLOY = [
    "deploy.recorded",
    "deploy.reserved",
    "deploy.start",
    "deploy.start.ready",
    "deploy.switch",
    "deploy.switched",
]
CONFIRM = ["confirm.drain", "confirm.retire", "confirm.done"]
ROLLBACK = ["rollback.start.ready", "rollback.switch", "rollback.retire", "rollback.done"]
#: Steps at which the release's record is settled or awaiting confirm, not interrupted.
NOT_INTERRUPTED = {"deploy.switched", "confirm.done", "rollback.done"}


def driver(world: World, operation: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.release.crashdriver",
            str(world.spec_path),
            "prod",
            "orders",
            operation,
            *args,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def cli_ok(world: World, *args: str) -> str:
    proc = world.cli(*args, str(world.spec_path), "--env", "prod", "--service", "orders")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def status(world: World) -> tuple[int, str]:
    proc = world.cli("status", str(world.spec_path))
    assert "Traceback" not in proc.stderr
    return proc.returncode, proc.stdout


def test_the_crash_cases_cover_every_step(make_world: Callable[..., World]) -> None:
    world = make_world(confirm="auto")
    deploy(world.site(), "orders", world.images["v1"])
    listed = driver(world, "deploy", "--image", world.images["v2"], "--list")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.split()[:-2] == [*DEPLOY, *CONFIRM], listed.stdout
    world.confirm = "manual"
    world.write_spec()
    deploy(world.site(), "orders", world.images["v3"])
    listed = driver(world, "rollback", "--list")
    assert listed.stdout.split()[:-2] == ROLLBACK, listed.stdout


CASES = (
    [("manual", "deploy", step, rec) for step in DEPLOY for rec in ("rollback", "deploy")]
    + [("auto", "deploy", step, rec) for step in CONFIRM for rec in ("rollback", "deploy")]
    + [("manual", "confirm", step, rec) for step in CONFIRM for rec in ("confirm", "rollback")]
    + [("manual", "rollback", step, rec) for step in ROLLBACK for rec in ("rollback", "deploy")]
)


@pytest.mark.parametrize(
    ("mode", "operation", "step", "recovery"), CASES, ids=["-".join(c) for c in CASES]
)
def test_killed_release_converges(
    make_world: Callable[..., World], mode: str, operation: str, step: str, recovery: str
) -> None:
    world = make_world(confirm=mode)
    images = world.images
    site = world.site()
    deploy(site, "orders", images["v1"])
    if operation != "deploy":
        world.confirm = "manual"
        world.write_spec()
        assert deploy(world.site(), "orders", images["v2"]).status == "awaiting-confirm"
    load = Load(world, world.root / "load.jsonl", slow=1.0)
    try:
        args = ("--image", images["v2"]) if operation == "deploy" else ()
        crashed = driver(world, operation, *args, "--kill-at", step)
        assert crashed.returncode == -9, crashed.stdout + crashed.stderr
        assert f"killed at {step}" in crashed.stdout

        code, text = status(world)
        if step in NOT_INTERRUPTED:
            assert "interrupted" not in text, text
        else:
            assert code == 1 and "was interrupted while" in text, text

        if recovery == "rollback":
            cli_ok(world, "rollback")
            expected = "v1"
        elif recovery == "confirm":
            cli_ok(world, "confirm")
            expected = "v2"
        else:
            out = cli_ok(world, "deploy", "--image", images["v2"])
            if "awaiting-confirm" in out:
                cli_ok(world, "confirm")
            expected = "v2"
        time.sleep(0.5)
    finally:
        load.stop()

    whole = load.window(0, float("inf"))
    print(f"\n{mode} {operation} killed at {step}, then {recovery}: {whole}")
    assert whole.failed == 0, whole.failures
    assert world.versions(20) == {expected}
    ours = world.our_containers()
    assert [c.labels["io.jenkinsgen.release.image"] for c in ours] == [images[expected]]
    assert ours[0].status == "running"
    code, text = status(world)
    assert code == 0 and "problem" not in text, text
    report = json.loads(world.cli("status", str(world.spec_path), "--output", "json").stdout)
    orders = report["environments"]["prod"]["services"][0]
    assert orders["live_image"] == images[expected] and orders["pending"] is None


@pytest.mark.parametrize("delay", [0.3, 0.9, 1.6])
def test_cli_deploy_killed_at_a_random_moment_then_rollback(
    make_world: Callable[..., World], delay: float
) -> None:
    world = make_world()
    deploy(world.site(), "orders", world.images["v1"])
    process = subprocess.Popen(
        [
            *JENKINSGEN,
            "release",
            "deploy",
            str(world.spec_path),
            "--env",
            "prod",
            "--service",
            "orders",
            "--image",
            world.images["v2"],
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(delay)
    process.kill()
    process.wait()
    proc = world.cli("rollback", str(world.spec_path), "--env", "prod", "--service", "orders")
    records = [p.read_text() for p in (world.root / "state" / "releases").glob("*.json")]
    if not any(world.images["v2"] in r for r in records):  # killed before it began
        assert proc.returncode == 1 and "nothing to roll back" in proc.stderr, proc.stderr
    else:
        assert proc.returncode == 0, proc.stdout + proc.stderr
    assert world.versions(20) == {"v1"}
    assert [c.labels["io.jenkinsgen.release.image"] for c in world.our_containers()] == [
        world.images["v1"]
    ]
    assert status(world)[0] == 0


def test_interrupted_release_blocks_another_image_until_settled(world: World) -> None:
    deploy(world.site(), "orders", world.images["v1"])
    crashed = driver(world, "deploy", "--image", world.images["v2"], "--kill-at", "deploy.switch")
    assert crashed.returncode == -9
    proc = world.cli(
        "deploy",
        str(world.spec_path),
        "--env",
        "prod",
        "--service",
        "orders",
        "--image",
        world.images["v3"],
    )
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "interrupted while switching; confirm or roll it back first" in proc.stderr
    proc = world.cli("confirm", str(world.spec_path), "--env", "prod", "--service", "orders")
    assert proc.returncode == 1 and "roll it back, or deploy the same image again" in proc.stderr
    after = world.cli("rollback", str(world.spec_path), "--env", "prod", "--service", "orders")
    assert after.returncode == 0
    assert world.versions() == {"v1"}
