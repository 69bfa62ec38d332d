"""Everything `render` wrote reaches the controller, and a rebuilt image reaches an existing home.

Real containers of the controller image built FROM the stand-in jenkins base (its start script
copies ref/ as the official one does: tests/images/test_standin_ref_copy.py). The spec renders
jobs and, through its ``agents:`` section, ``casc/agents.yaml`` (the clouds). Scenario:

1. image 1 on a home that an earlier jenkinsgen image filled (stale job files, no record): the
   image's jobs replace them, and the casc directory Jenkins is pointed at holds the clouds;
2. ``jenkinsgen apply`` (or the seed job) changes a job the spec still has, unchanged in the
   next image: a restart, and image 2, keep that change;
3. image 2 from a changed spec (a build command, the clouds, a service removed, one added) on
   the same home: changed and new jobs are installed, the new clouds are the casc, the removed
   service's jobs stay (build history is data) and are named on stderr until removed; a job
   file the image has but the home lost is installed again.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import pytest
import yaml

from jenkinsgen.images import ImageInputs, build_image
from jenkinsgen.render import render_spec
from jenkinsgen.render.output import write_tree
from jenkinsgen.spec import load_spec_text
from tests.dockerlib.fixtures import DockerCleanup
from tests.images.helpers import logs, wait_for_file

pytestmark = pytest.mark.docker
HOME = "/var/jenkins_home"
SERVICE = '  - {{name: {name}, repo: "https://git.example.com/acme/{name}.git", build: {build}}}\n'


def spec(services: dict[str, str], max_instances: int) -> str:
    return (
        "version: 1\nfolder: delivery\n"
        "defaults: {registry: registry.example.com/acme, registry_credentials: push}\n"
        "environments:\n  - {name: dev, branch: develop}\n  - {name: prod, branch: main}\n"
        "services:\n"
        + "".join(SERVICE.format(name=n, build=b) for n, b in services.items())
        + "agents:\n  label: docker\n  image: registry.example.com/acme/agent:1\n"
        f"  docker: {{hosts: [unix:///var/run/docker.sock], max_instances: {max_instances}}}\n"
    )


@pytest.fixture
def build(docker_client: Any, standin_jenkins_image: str, tmp_path: Path) -> Iterator[Any]:
    """Render a spec and build a controller image with `--jobs OUT`; images removed after."""
    tags: list[str] = []

    def make(text: str, name: str) -> tuple[str, Path]:
        out = tmp_path / f"out-{name}"
        write_tree(render_spec(load_spec_text(text)), out)
        tag = f"jenkinsgen-test/controller-baked:{name}-{uuid.uuid4().hex[:8]}"
        tags.append(tag)
        build_image(
            docker_client, ImageInputs("controller", jobs_dir=out), tag, standin_jenkins_image
        )
        return tag, out

    try:
        yield make
    finally:
        for tag in tags:
            with contextlib.suppress(docker.errors.ImageNotFound):
                docker_client.images.remove(tag, force=True)


def start(cleanup: DockerCleanup, image: str, home: Path) -> str:
    """Start on ``home`` until Jenkins (the java stand-in) runs; stop; return the logs."""
    started = home / "standin-java.started"
    started.unlink(missing_ok=True)
    container = cleanup.run(
        image,
        environment={"JENKINS_ADMIN_PASSWORD": "pw"},
        volumes={str(home): {"bind": HOME, "mode": "rw"}},
    )
    wait_for_file(started, container)
    text = logs(container)
    container.stop(timeout=10)
    return text


def jobs_of(out: Path) -> dict[str, bytes]:
    root = out / "jobs"
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def casc_in(cleanup: DockerCleanup, image: str) -> dict[str, str]:
    """The casc directory of ``image``: relative path → text."""
    script = (
        'cd "$CASC_JENKINS_CONFIG" && '
        'for f in $(find . -type f | sort); do echo "== $f"; cat "$f"; done'
    )
    out = cleanup.client.containers.run(
        image, entrypoint=["sh", "-c", script], remove=True, network_mode="host"
    ).decode()
    files: dict[str, str] = {}
    for chunk in out.split("== ./")[1:]:
        name, _, text = chunk.partition("\n")
        files[name] = text
    return files


def test_rebuilt_image_reaches_an_existing_home(
    docker_cleanup: DockerCleanup, build: Any, tmp_path: Path
) -> None:
    first_spec = {"gateway": "make", "stable": "make", "legacy": "make"}
    image1, out1 = build(spec(first_spec, 4), "one")
    jobs1 = jobs_of(out1)
    home = tmp_path / "home"
    stale = home / "jobs" / "delivery" / "jobs" / "gateway" / "jobs" / "dev" / "config.xml"
    stale.parent.mkdir(parents=True)
    stale.write_text("<flow-definition>from an earlier image's ref/jobs</flow-definition>")

    # 1. every job file, the stale one replaced; Jenkins pointed at the casc directory
    text = start(docker_cleanup, image1, home)
    assert jobs_of(home) == jobs1
    assert f"{len(jobs1)} file(s) installed" in text
    started = (home / "standin-java.started").read_text()
    assert "CASC_JENKINS_CONFIG=/usr/share/jenkinsgen/casc\n" in started
    casc = casc_in(docker_cleanup, image1)
    assert sorted(casc) == ["image/controller.yaml", "rendered/agents.yaml"]
    assert casc["rendered/agents.yaml"] == (out1 / "casc" / "agents.yaml").read_text()
    clouds = yaml.safe_load(casc["rendered/agents.yaml"])["jenkins"]["clouds"]
    assert clouds and "securityRealm" in yaml.safe_load(casc["image/controller.yaml"])["jenkins"]

    # 2. apply changes a job the spec keeps; a restart of the same image keeps the change
    applied = home / "jobs" / "delivery" / "jobs" / "stable" / "jobs" / "dev" / "config.xml"
    applied.write_text("<flow-definition>written by jenkinsgen apply</flow-definition>")
    text = start(docker_cleanup, image1, home)
    assert "0 file(s) installed" in text and f"{len(jobs1)} kept" in text
    assert applied.read_text() == "<flow-definition>written by jenkinsgen apply</flow-definition>"

    # 3. image 2: gateway's build changed, legacy removed, billing added, clouds changed
    image2, out2 = build(
        spec({"gateway": "make all", "stable": "make", "billing": "make"}, 6), "two"
    )
    jobs2 = jobs_of(out2)
    text = start(docker_cleanup, image2, home)
    now = jobs_of(home)
    for rel, data in jobs2.items():
        if rel.startswith("delivery/jobs/stable/"):
            continue
        assert now[rel] == data, f"{rel} is not the image's"
    assert applied.read_text() == "<flow-definition>written by jenkinsgen apply</flow-definition>"
    assert b"make all" in now["delivery/jobs/gateway/jobs/dev/Jenkinsfile"]
    legacy = {rel for rel in now if rel.startswith("delivery/jobs/legacy/")}
    assert legacy and legacy == {rel for rel in jobs1 if rel.startswith("delivery/jobs/legacy/")}
    assert "not in this image (first: jobs/delivery/jobs/legacy/" in text
    assert "jenkinsgen apply --prune" in text
    casc = casc_in(docker_cleanup, image2)
    assert casc["rendered/agents.yaml"] == (out2 / "casc" / "agents.yaml").read_text()
    assert casc["rendered/agents.yaml"] != (out1 / "casc" / "agents.yaml").read_text()

    # the removed jobs are named on every start until they are pruned
    text = start(docker_cleanup, image2, home)
    assert "0 file(s) installed" in text and "legacy" in text
    for rel in legacy:
        (home / "jobs" / rel).unlink()
    # a file of the image deleted from the home (the job was deleted by hand) comes back
    deleted = home / "jobs" / "delivery" / "jobs" / "billing" / "jobs" / "dev" / "config.xml"
    deleted.unlink()
    text = start(docker_cleanup, image2, home)
    assert "legacy" not in text and "not in this image" not in text
    assert "1 file(s) installed" in text
    assert deleted.read_bytes() == jobs2["delivery/jobs/billing/jobs/dev/config.xml"]
