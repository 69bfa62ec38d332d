"""The controller image refuses to start without an admin password (real containers).

Configuration-as-Code would substitute an empty string for an unresolved ``${VAR}`` with only a
warning: an admin account with an empty password. The image's start step
(``jenkinsgen-controller-start``, controller only) checks every place JCasC resolves the
reference from and stops with one line instead; the agent image, which shares the entrypoint,
has no such check. Each refusal below is proved to happen before Jenkins (the java stand-in)
starts.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import pytest

from jenkinsgen.casc.controller import ControllerConfig
from jenkinsgen.images import ImageInputs, build_image
from tests.dockerlib.fixtures import DockerCleanup
from tests.images.helpers import logs, wait_exit, wait_for_file

pytestmark = pytest.mark.docker
HOME = "/var/jenkins_home"
ME = "jenkinsgen-controller-start: "
REFUSE = "(refusing to start Jenkins with an empty admin password)"


@pytest.fixture(scope="module")
def file_password_image(docker_client: Any, standin_jenkins_image: str) -> Iterator[str]:
    """A controller whose casc reads the password with ${readFile:/srv/admin/password}."""
    tag = f"jenkinsgen-test/controller-pwfile:{uuid.uuid4().hex[:10]}"
    config = ControllerConfig(admin_password_file="/srv/admin/password")
    try:
        build_image(
            docker_client, ImageInputs("controller", controller=config), tag, standin_jenkins_image
        )
        yield tag
    finally:
        with contextlib.suppress(docker.errors.ImageNotFound):
            docker_client.images.remove(tag, force=True)


def run(cleanup: DockerCleanup, image: str, tmp_path: Path, **kwargs: Any) -> tuple[Any, Path]:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    volumes = {str(home): {"bind": HOME, "mode": "rw"}, **kwargs.pop("volumes", {})}
    return cleanup.run(image, volumes=volumes, **kwargs), home


def refused(container: Any, home: Path) -> str:
    assert wait_exit(container, 30) == 1
    out = logs(container).strip().splitlines()
    assert len(out) == 1 and out[0].startswith(ME), out
    assert not (home / "standin-java.started").exists(), "Jenkins must not have started"
    return out[0]


def secret_file(tmp_path: Path, name: str, text: str) -> dict[str, dict[str, str]]:
    path = tmp_path / "secrets" / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(text)
    path.chmod(0o444)
    return {str(path): {"bind": f"/run/secrets/{name}", "mode": "ro"}}


@pytest.mark.parametrize(
    ("environment", "secret", "message"),
    [
        ({}, None, "the admin password is not set: set the variable JENKINS_ADMIN_PASSWORD or "
         "mount the secret /run/secrets/JENKINS_ADMIN_PASSWORD " + REFUSE),
        ({"JENKINS_ADMIN_PASSWORD": ""}, None, "variable JENKINS_ADMIN_PASSWORD is set but empty"),
        ({"JENKINS_ADMIN_PASSWORD": " \t"}, None, "is set but empty"),
        ({}, "\n  \n", "secret /run/secrets/JENKINS_ADMIN_PASSWORD is empty " + REFUSE),
        # an empty variable hides a good secret file (JCasC may take either): refused too
        ({"JENKINS_ADMIN_PASSWORD": ""}, "s3cret\n", "is set but empty"),
    ],
    ids=["nothing", "empty-variable", "blank-variable", "blank-secret", "empty-var-and-secret"],
)  # fmt: skip
def test_missing_or_empty_password_refuses_to_start(
    docker_cleanup: DockerCleanup,
    controller_image: str,
    tmp_path: Path,
    environment: dict[str, str],
    secret: str | None,
    message: str,
) -> None:
    volumes = secret_file(tmp_path, "JENKINS_ADMIN_PASSWORD", secret) if secret is not None else {}
    container, home = run(
        docker_cleanup, controller_image, tmp_path, environment=environment, volumes=volumes
    )
    line = refused(container, home)
    assert message in line, line
    assert "s3cret" not in line


@pytest.mark.parametrize(
    ("environment", "files"),
    [
        ({"JENKINS_ADMIN_PASSWORD": "s3cret"}, {}),
        ({}, {"JENKINS_ADMIN_PASSWORD": "s3cret\n"}),
        ({}, {"secrets.properties": "# admin\nJENKINS_ADMIN_PASSWORD = s3cret\n"}),
        ({"SECRETS": "/run/secrets/elsewhere"}, {"elsewhere/JENKINS_ADMIN_PASSWORD": "s3cret"}),
        ({"JAVA_OPTS": "-Dhudson.x=1 -DJENKINS_ADMIN_PASSWORD=s3cret"}, {}),
    ],
    ids=["variable", "docker-secret", "secrets-properties", "SECRETS-dir", "system-property"],
)  # fmt: skip
def test_every_source_jcasc_reads_is_accepted(
    docker_cleanup: DockerCleanup,
    controller_image: str,
    tmp_path: Path,
    environment: dict[str, str],
    files: dict[str, str],
) -> None:
    volumes: dict[str, dict[str, str]] = {}
    for name, text in files.items():
        path = tmp_path / "secrets" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        path.chmod(0o444)
        volumes[str(path)] = {"bind": f"/run/secrets/{name}", "mode": "ro"}
    container, home = run(
        docker_cleanup, controller_image, tmp_path, environment=environment, volumes=volumes
    )
    wait_for_file(home / "standin-java.started", container)
    assert "s3cret" not in logs(container)


def test_password_file_must_exist_and_hold_something(
    docker_cleanup: DockerCleanup, file_password_image: str, tmp_path: Path
) -> None:
    srv = tmp_path / "srv"
    srv.mkdir()
    mount = {str(srv): {"bind": "/srv/admin", "mode": "ro"}}
    container, home = run(docker_cleanup, file_password_image, tmp_path, volumes=mount)
    assert refused(container, home) == (
        f"{ME}the admin password file /srv/admin/password does not exist: mount it {REFUSE}"
    )
    (srv / "password").write_text("\n")
    container, home = run(docker_cleanup, file_password_image, tmp_path, volumes=mount)
    assert "the admin password file /srv/admin/password is empty" in refused(container, home)
    (srv / "password").write_text("s3cret")
    (srv / "password").chmod(0o600)  # root's: the jenkins user cannot read it, nor could JCasC
    container, home = run(docker_cleanup, file_password_image, tmp_path, volumes=mount)
    assert "is not readable by uid 1000" in refused(container, home)
    (srv / "password").chmod(0o644)
    container, home = run(docker_cleanup, file_password_image, tmp_path, volumes=mount)
    wait_for_file(home / "standin-java.started", container)


def test_a_command_other_than_jenkins_runs_without_the_check(
    docker_cleanup: DockerCleanup, controller_image: str, tmp_path: Path
) -> None:
    """`docker run IMAGE id -u` runs the command, as the upstream start script does."""
    container, _home = run(docker_cleanup, controller_image, tmp_path, command=["id", "-u"])
    assert wait_exit(container, 30) == 0
    assert logs(container).strip().splitlines()[-1] == "1000"


def test_the_agent_image_has_no_password_check(
    docker_cleanup: DockerCleanup, agent_image: str
) -> None:
    """The entrypoint is shared; the check lives in the controller's own start step (agents
    start without any admin password: tests/images/test_agent_image.py)."""
    out = docker_cleanup.client.containers.run(
        agent_image,
        entrypoint=[
            "sh",
            "-c",
            "test ! -e /usr/local/bin/jenkinsgen-controller-start && "
            "! grep -q PASSWORD /usr/local/bin/jenkinsgen-entrypoint && echo none",
        ],
        remove=True,
        network_mode="host",
    )
    assert out.decode().strip() == "none"


def test_jcasc_itself_refuses_an_unresolved_reference(
    docker_cleanup: DockerCleanup, controller_image: str
) -> None:
    """Second line: strict secret resolution (SecretSourceResolver.UnresolvedLookup of the
    pinned configuration-as-code reads CASC_STRICT_SECRET_RESOLUTION) is on in the image."""
    env = docker_cleanup.client.images.get(controller_image).attrs["Config"]["Env"]
    assert "CASC_STRICT_SECRET_RESOLUTION=true" in env
