"""The seed job runs on the real Jenkins LTS, in the seed image (skips where the pinned
jenkins/jenkins image cannot be pulled, as on the build machines).

What a user does, end to end: the spec lives in a config repository (served by ``git daemon``
on 127.0.0.1); ``jenkinsgen render`` writes the seed job; the controller image is built FROM the
pinned jenkins/jenkins with ``--jobs OUT`` (the seed job is baked in: it exists at the first
boot) and the Docker CLI; the seed image is built from a wheel of this checkout; an API token is
stored as the credentials the seed job names. Then the seed job is built: it checks the repo out
on the controller's executor (label ``docker``), runs ``jenkinsgen apply --prune`` inside the
seed image (docker-workflow's ``docker`` agent with ``reuseNode``, ``--volumes-from`` the
controller's container), and the spec's jobs appear.

Plugins: ``JENKINSGEN_E2E_BUNDLE`` (a plugins.lock or a directory of .jpi files), else the
pinned list (images/controller/plugins.txt) is installed into the image with the base's
``jenkins-plugin-cli``. ``JENKINSGEN_E2E_SEED_BASE`` overrides the seed image's base (default:
the Dockerfile's ``debian:bookworm-slim``).
"""

from __future__ import annotations

import contextlib
import io
import os
import secrets
import socket
import subprocess
import tarfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import docker
import jenkins
import pytest

from jenkinsgen import __version__
from jenkinsgen.casc.controller import ControllerConfig
from jenkinsgen.images import ImageInputs, build_image, plugins_from_bundle, read_wheel
from jenkinsgen.render import render_spec
from jenkinsgen.render.output import write_tree
from jenkinsgen.spec import load_spec_text
from tests.conformance import pins
from tests.dockerlib.fixtures import DockerCleanup, free_port
from tests.e2e.test_controller_image_e2e import real_base, wait_for_login  # noqa: F401

pytestmark = [pytest.mark.e2e, pytest.mark.docker, pytest.mark.slow]

SETUP = """\
import com.cloudbees.plugins.credentials.CredentialsProvider
import com.cloudbees.plugins.credentials.CredentialsScope
import com.cloudbees.plugins.credentials.domains.Domain
import com.cloudbees.plugins.credentials.impl.UsernamePasswordCredentialsImpl
import jenkins.security.ApiTokenProperty
def admin = hudson.model.User.getById('admin', false)
def token = admin.getProperty(ApiTokenProperty).tokenStore.generateNewToken('seed').plainValue
admin.save()
def credentials = new UsernamePasswordCredentialsImpl(
    CredentialsScope.GLOBAL, 'jenkins-api', 'seed job', 'admin', token)
def jenkins = Jenkins.instance
def store = CredentialsProvider.lookupStores(jenkins).find { it.context == jenkins }
store.addCredentials(Domain.global(), credentials)
Jenkins.instance.setLabelString('docker')
Jenkins.instance.save()
println('ready')
"""


def spec_text(git_url: str, jenkins_url: str, seed_repository: str) -> str:
    return f"""\
version: 1
folder: delivery
defaults: {{registry: registry.example.com/acme, registry_credentials: registry-push}}
environments:
  - {{name: dev, branch: develop}}
services:
  - {{name: orders, repo: "https://git.example.com/acme/orders.git", build: make}}
  - {{name: billing, repo: "https://git.example.com/acme/billing.git", build: make}}
seed:
  repo: {git_url}
  jenkins_credentials: jenkins-api
  jenkins_url: {jenkins_url}
  image: {seed_repository}
"""


@contextlib.contextmanager
def config_repository(root: Path) -> Iterator[tuple[str, Callable[[str], None]]]:
    """A bare config repository served read-only by ``git daemon`` on 127.0.0.1: its URL, and
    a function that commits a spec to its main branch."""
    served = root / "served"
    bare = served / "config.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(bare)], check=True)
    git = ["git", "-c", "user.name=e2e", "-c", "user.email=e2e@127.0.0.1"]

    def publish(spec: str) -> None:
        work = root / f"work-{uuid.uuid4().hex[:6]}"
        subprocess.run([*git, "init", "-q", "-b", "main", str(work)], check=True)
        (work / "jenkinsgen.yaml").write_text(spec)
        subprocess.run([*git, "-C", str(work), "add", "jenkinsgen.yaml"], check=True)
        subprocess.run([*git, "-C", str(work), "commit", "-q", "-m", "spec"], check=True)
        subprocess.run([*git, "-C", str(work), "push", "-q", "-f", str(bare), "main"], check=True)

    port = free_port()
    daemon = subprocess.Popen(
        [
            "git", "daemon", "--reuseaddr", "--export-all", "--listen=127.0.0.1",
            f"--port={port}", f"--base-path={served}", str(served),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            assert time.monotonic() < deadline and daemon.poll() is None, "git daemon did not start"
            time.sleep(0.1)
        yield f"git://127.0.0.1:{port}/config.git", publish
    finally:
        daemon.terminate()
        daemon.wait(10)


def with_plugins(client: Any, image: str, tags: list[str]) -> str:
    """``image`` plus the pinned plugins, installed by the base's jenkins-plugin-cli into
    ref/plugins (with their dependencies)."""
    listing = "".join(f"{name}:{version}\n" for name, version in pins.plugin_pins().items())
    files = {
        "plugins.txt": listing.encode(),
        "Dockerfile": f"FROM {image}\nCOPY plugins.txt /tmp/plugins.txt\n"
        "RUN jenkins-plugin-cli --plugin-file /tmp/plugins.txt\n".encode(),
    }
    context = io.BytesIO()
    with tarfile.open(fileobj=context, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    context.seek(0)
    tag = f"{image}-plugins"
    tags.append(tag)
    client.images.build(fileobj=context, custom_context=True, tag=tag, network_mode="host", rm=True)
    return tag


def wait_for_build(server: Any, job: str, timeout: float = 600) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        last = server.get_job_info(job).get("lastCompletedBuild")
        if last:
            return dict(server.get_build_info(job, last["number"]))
        time.sleep(3)
    raise AssertionError(f"no build of {job} completed in {timeout}s")


def test_seed_job_runs_in_the_seed_image(
    docker_cleanup: DockerCleanup,
    real_base: str,  # noqa: F811 (the fixture imported above)
    jenkinsgen_wheel: Path,
    tmp_path: Path,
) -> None:
    client: Any = docker_cleanup.client
    tags: list[str] = []
    try:
        seed_repository = f"jenkinsgen-e2e/seed-{uuid.uuid4().hex[:10]}"
        seed = build_image(
            client,
            ImageInputs("seed", wheel=read_wheel(jenkinsgen_wheel, __version__)),
            seed_repository,
            os.environ.get("JENKINSGEN_E2E_SEED_BASE"),
        )
        tags.append(seed.tag)
        assert seed.tag == f"{seed_repository}:{__version__}"

        port = free_port()
        url = f"http://127.0.0.1:{port}/"
        (tmp_path / "git").mkdir()
        with config_repository(tmp_path / "git") as (git_url, publish):
            spec = spec_text(git_url, url, seed_repository)
            publish(spec)
            out = tmp_path / "out"
            rendered = render_spec(load_spec_text(spec))
            write_tree(rendered, out)

            bundle = os.environ.get("JENKINSGEN_E2E_BUNDLE")
            plugins = plugins_from_bundle(Path(bundle), tmp_path / "plugins") if bundle else None
            controller = build_image(
                client,
                ImageInputs(
                    "controller",
                    plugins_dir=plugins,
                    jobs_dir=out,
                    controller=ControllerConfig(executors=2, url=url),
                ),
                f"jenkinsgen-e2e/controller:{uuid.uuid4().hex[:10]}",
                real_base,
            )
            tags.append(controller.tag)
            image = controller.tag if plugins else with_plugins(client, controller.tag, tags)

            home = tmp_path / "home"
            home.mkdir()
            password = secrets.token_hex(16)
            container = docker_cleanup.run(
                image,
                environment={
                    "JENKINS_OPTS": f"--httpPort={port} --httpListenAddress=127.0.0.1",
                    "JENKINS_ADMIN_PASSWORD": password,
                },
                volumes={
                    str(home): {"bind": "/var/jenkins_home", "mode": "rw"},
                    "/var/run/docker.sock": {"bind": "/var/run/docker.sock", "mode": "rw"},
                },
            )
            assert wait_for_login(port, container, timeout=600) == 200
            server = jenkins.Jenkins(url, username="admin", password=password)
            seed_job = next(i.full_name for i in rendered.items if i.kind == "seed")
            assert server.job_exists(seed_job), "the seed job is baked into the image"
            assert "ready" in server.run_script(SETUP)

            server.build_job(seed_job)
            build = wait_for_build(server, seed_job)
            console = server.get_build_console_output(seed_job, build["number"])
            assert build["result"] == "SUCCESS", console[-4000:]
            assert seed.tag in console, "the Apply stage ran in the seed image"
            for item in rendered.items:
                assert server.job_exists(item.full_name), item.full_name
            assert password not in console
    finally:
        for tag in reversed(tags):
            with contextlib.suppress(docker.errors.ImageNotFound):
                client.images.remove(tag, force=True)
