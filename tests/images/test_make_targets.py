"""`make bundle`, `make image`, `make agent-image` and `make push` (mk/images.mk, which also
builds a wheel of this checkout and the seed image from it), run for real.

Offline here, so ``make bundle`` resolves against the real update-center files in
``tests/data/update-center`` (the documented offline override; an update center of 2020, core
2.249.3) and the image targets take a lock whose archives are local files and the stand-in
bases. That update center predates the versions images/controller/plugins.txt pins, so the
bundle test resolves the same plugin names unpinned; the pins themselves are checked against
the Jenkins sources in tests/conformance. ``-o $(BIN)/jenkinsgen`` keeps make from
re-creating the virtualenv the tests already run in.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from jenkinsgen import __version__
from tests.dockerlib.fixtures import DockerCleanup, Registry
from tests.images.bundlelock import write_file_lock

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def make(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", "-C", str(ROOT), "-o", f"{BIN}/jenkinsgen", *args],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_make_bundle_offline_with_the_bundled_update_center(
    test_data: Path, tmp_path: Path
) -> None:
    lock, listing = tmp_path / "plugins.lock", tmp_path / "plugins.txt"
    pinned = (ROOT / "images/controller/plugins.txt").read_text().splitlines()
    names = [line.split("#")[0].strip().split(":")[0] for line in pinned]
    listing.write_text("".join(f"{name}\n" for name in names if name))
    center = test_data / "update-center"
    args = [
        f"BIN={BIN}",
        f"PLUGINS_TXT={listing}",
        f"UPDATE_CENTER={center / 'update-center.actual.zip'}",
        f"PLUGIN_VERSIONS={center / 'plugin-versions.zip'}",
        "JENKINS_VERSION=2.249.3",
        f"PLUGINS_LOCK={lock}",
    ]
    result = make("bundle", *args)
    assert result.returncode == 0, result.stdout + result.stderr
    data = json.loads(lock.read_text())
    assert data["jenkins"] == "2.249.3"
    listed = {line.split("#")[0].strip() for line in listing.read_text().splitlines()} - {""}
    assert {p["name"] for p in data["plugins"] if p["direct"]} == listed
    assert "pluginVersions" in data  # PLUGIN_VERSIONS reached the resolver
    # The lock is newer than the list: a target that needs it does not resolve again ...
    again = make("-n", f"{lock}", *args)
    assert again.returncode == 0 and "bundle resolve" not in again.stdout, again.stdout
    # ... until the list changes.
    newer = lock.stat().st_mtime + 10
    os.utime(listing, (newer, newer))
    again = make("-n", f"{lock}", *args)
    assert again.returncode == 0 and "bundle resolve" in again.stdout, again.stdout


def test_make_push_without_registry_says_how() -> None:
    result = make("push", f"BIN={BIN}")
    assert result.returncode != 0
    assert "make push: set REGISTRY=host[:port]/path" in result.stdout


@pytest.mark.docker
def test_make_image_agent_image_and_push(
    docker_cleanup: DockerCleanup,
    standin_jenkins_image: str,
    standin_agent_image: str,
    pip_base_image: str,
    controller_image: str,  # same Docker CLI layers, so the builds below come from the cache
    agent_image: str,
    local_registry: Registry,
    tmp_path: Path,
) -> None:
    client: Any = docker_cleanup.client
    lock = write_file_lock(tmp_path, {"mailer": "1.2"})
    suffix = docker_cleanup.name("make")
    controller, agent = f"jgtest-make-controller:{suffix}", f"jgtest-make-agent:{suffix}"
    registry = f"{local_registry.address}/acme"
    seed = f"jgtest-make-seed-{suffix}"
    pushed = [
        f"{registry}/{controller}",
        f"{registry}/{agent}",
        f"{registry}/{seed}:{__version__}",
    ]
    docker_cleanup.images.extend([controller, agent, f"{seed}:{__version__}", *pushed])
    common = [f"BIN={BIN}", f"PLUGINS_LOCK={lock}", f"OUT={tmp_path / 'no-render'}"]

    result = make(
        "image", *common, f"CONTROLLER_TAG={controller}", f"CONTROLLER_BASE={standin_jenkins_image}"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert client.images.get(controller).labels["org.jenkinsgen.image"] == "controller"
    listing = client.containers.run(
        controller,
        entrypoint=["ls", "/usr/share/jenkins/ref/plugins"],
        network_mode="host",
        remove=True,
    )
    assert listing.decode().split() == ["mailer.jpi"]

    result = make(
        "agent-image", f"BIN={BIN}", f"AGENT_TAG={agent}", f"AGENT_BASE={standin_agent_image}"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert client.images.get(agent).labels["org.jenkinsgen.image"] == "agent"
    assert client.images.get(agent).attrs["Config"]["User"] in ("", "root")

    result = make(
        "push",
        *common,
        f"REGISTRY={registry}",
        f"CONTROLLER_TAG={controller}",
        f"AGENT_TAG={agent}",
        f"CONTROLLER_BASE={standin_jenkins_image}",
        f"AGENT_BASE={standin_agent_image}",
        f"SEED_TAG={seed}",
        f"SEED_BASE={pip_base_image}",
        f"WHEEL_DIR={tmp_path / 'dist'}",
        env={
            "JENKINSGEN_REGISTRY_USERNAME": local_registry.username,
            "JENKINSGEN_REGISTRY_PASSWORD": local_registry.password,
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert local_registry.password not in result.stdout + result.stderr
    # Each image was built on its own base: the agent from the agent stand-in.
    agent_env = client.images.get(agent).attrs["Config"]["Env"]
    assert any(e.startswith("AGENT_WORKDIR=") for e in agent_env), agent_env
    # the seed image carries the wheel make built of this checkout, tagged with its version
    [wheel] = (tmp_path / "dist").glob("jenkinsgen-*.whl")
    assert wheel.name.startswith(f"jenkinsgen-{__version__}-")
    labels = client.images.get(f"{seed}:{__version__}").labels
    assert labels["org.jenkinsgen.version"] == __version__
    auth = {"username": local_registry.username, "password": local_registry.password}
    for reference in pushed:
        assert f"pushed {reference}" in result.stderr + result.stdout
        client.images.remove(reference)
        client.images.pull(reference, auth_config=auth)
