"""The seed image, built for real from a wheel of this checkout, runs the seed job's Apply stage.

The image is built on the debootstrapped Debian base (no registry image can be pulled here)
plus an ``/etc/pip.conf`` naming this machine's CA bundle (its egress may re-sign TLS); the
seed Dockerfile installs Python from the Debian mirror and the pinned dependencies from the
package index. The seed Jenkinsfile is rendered from a spec whose ``seed.image`` names the
repository of the image built here, so the image it names is exactly the one run. The Apply
stage's script, as Groovy parses it, runs the way docker-workflow runs a ``docker`` agent with
``reuseNode``: a container of that image started as the agent's uid (1000) with ``cat`` as its
command and the workspace mounted at the same path, the step through ``docker exec`` with the
credentials in its environment. It applies the spec to the Jenkins REST double on 127.0.0.1
(host networking), and the jobs appear there.
"""

from __future__ import annotations

import contextlib
import os
import re
import uuid
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

import docker
import pytest

from jenkinsgen import __version__
from jenkinsgen.images import ImageInputs, build_image, read_wheel
from jenkinsgen.images.seed import pinned_requirements
from jenkinsgen.plan import plan
from jenkinsgen.render.jenkinsfile import render_jenkinsfile
from jenkinsgen.spec import load_spec_text
from tests.dockerlib.fixtures import DockerCleanup
from tests.jenkins_double import JenkinsDouble
from tests.render.groovy_ast import GroovyParser

pytestmark = [pytest.mark.docker, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
REPOSITORY = f"jenkinsgen-test/seed-{uuid.uuid4().hex[:10]}"
AGENT_UID = 1000


@pytest.fixture(scope="session")
def seed_image(docker_client: Any, pip_base_image: str, jenkinsgen_wheel: Path) -> Iterator[str]:
    inputs = ImageInputs("seed", wheel=read_wheel(jenkinsgen_wheel, __version__))
    result = build_image(docker_client, inputs, REPOSITORY, pip_base_image)
    try:
        yield result.tag
    finally:
        with contextlib.suppress(docker.errors.ImageNotFound):
            docker_client.images.remove(result.tag, force=True)


def spec_text(jenkins_url: str) -> str:
    return f"""\
version: 1
folder: seeded
defaults: {{registry: registry.example.com/acme, registry_credentials: registry-push}}
environments:
  - {{name: dev, branch: develop}}
  - {{name: prod, branch: main, deploy: manual, approvers: [release-managers]}}
services:
  - {{name: orders, repo: "https://git.example.com/acme/orders.git", build: make}}
  - {{name: billing, repo: "https://git.example.com/acme/billing.git", build: make}}
seed:
  repo: https://git.example.com/acme/config.git
  spec: teams/jenkinsgen.yaml
  jenkins_credentials: jenkins-api
  jenkins_url: {jenkins_url}
  image: {REPOSITORY}
"""


def test_the_tag_and_the_installed_jenkinsgen_are_this_version(
    docker_cleanup: DockerCleanup, seed_image: str
) -> None:
    client: Any = docker_cleanup.client
    assert seed_image == f"{REPOSITORY}:{__version__}"
    attrs = client.images.get(seed_image).attrs["Config"]
    assert attrs["Labels"]["org.jenkinsgen.version"] == __version__
    assert attrs["Labels"]["org.jenkinsgen.image"] == "seed"
    assert not attrs.get("Entrypoint"), "docker-workflow's `cat` must be the container's command"
    listing = (
        "import importlib.metadata as m, re\n"
        "for d in m.distributions():\n"
        "    print(re.sub(r'[-_.]+', '-', d.metadata['Name']).lower() + '==' + d.version)\n"
    )
    out = client.containers.run(
        seed_image,
        ["sh", "-c", f'jenkinsgen --version && /opt/jenkinsgen/bin/python -c "{listing}"'],
        network_mode="host",
        remove=True,
    ).decode()
    version, *dists = out.splitlines()
    assert version.endswith(f"version {__version__}"), version
    installed = dict(line.split("==") for line in dists)
    assert installed.pop("jenkinsgen") == __version__
    installed.pop("pip")  # the virtualenv's own installer
    # every other distribution is a pin of this environment, and every pin is installed
    pins = dict(
        p.split("==") for p in pinned_requirements(tuple(metadata.requires("jenkinsgen") or ()))
    )
    assert installed == pins


def test_seed_apply_stage_runs_in_the_image_against_the_double(
    docker_cleanup: DockerCleanup,
    seed_image: str,
    secured_jenkins_double: JenkinsDouble,
    groovy: GroovyParser,
    tmp_path: Path,
) -> None:
    double = secured_jenkins_double
    text = spec_text(double.url + "/")
    p = plan(load_spec_text(text, "teams/jenkinsgen.yaml"))
    seed_job = next(j for j in p.jobs if j.kind == "seed")
    jenkinsfile = render_jenkinsfile(p, seed_job)
    summary = groovy.parse(jenkinsfile)
    [image] = summary.calls_named("image")
    assert image.args == (seed_image,), "the Jenkinsfile names the image built here"
    [apply_script] = summary.shell_commands()
    url = re.search(r"SEED_JENKINS_URL = '([^']*)'", jenkinsfile)
    assert url is not None

    # the agent's workspace after the Checkout stage: the config repository, owned by the agent
    workspace = tmp_path / "agent" / "workspace" / "seeded" / "seed"
    (workspace / "teams").mkdir(parents=True)
    (workspace / "teams" / "jenkinsgen.yaml").write_text(text, encoding="utf-8")
    for path in [tmp_path / "agent", *(tmp_path / "agent").rglob("*")]:
        os.lchown(path, AGENT_UID, AGENT_UID)
    ws = str(workspace)
    container = docker_cleanup.run(
        seed_image,
        command=["cat"],
        tty=True,
        user=f"{AGENT_UID}:{AGENT_UID}",
        working_dir=ws,
        volumes={ws: {"bind": ws, "mode": "rw"}},
    )

    def step(token: str) -> tuple[int, str]:
        code, output = container.exec_run(
            ["sh", "-c", apply_script],
            environment={
                "SEED_JENKINS_URL": url.group(1),
                "JENKINS_USER": "admin",
                "JENKINS_API_TOKEN": token,
            },
            workdir=ws,
            user=f"{AGENT_UID}:{AGENT_UID}",
        )
        return code, output.decode(errors="replace")

    code, output = step("admin-token")
    assert code == 0, output
    names = set(double.job_names())
    assert {
        "seeded",
        "seeded/seed",
        "seeded/orders/dev",
        "seeded/orders/prod",
        "seeded/billing/dev",
        "seeded/billing/prod",
    } <= names, names
    assert "admin-token" not in output

    code, output = step("wrong-token")
    assert code != 0, "a refused token fails the step"
    assert "wrong-token" not in output
