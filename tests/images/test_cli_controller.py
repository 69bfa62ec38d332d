"""`jenkinsgen image build controller --bundle plugins.lock --jobs OUT` end to end."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from jenkinsgen.cli.main import cli
from tests.dockerlib.fixtures import DockerCleanup
from tests.images.bundlelock import write_file_lock
from tests.images.helpers import wait_for_file

pytestmark = pytest.mark.docker


def test_cli_bakes_lock_casc_and_jobs(
    docker_cleanup: DockerCleanup,
    standin_jenkins_image: str,
    controller_image: str,  # keeps the shared Docker CLI layer cached for this build
    tmp_path: Path,
) -> None:
    lock = write_file_lock(
        tmp_path, {"mailer": "1.2", "configuration-as-code": "1971.v", "matrix-auth": "3.2.8"}
    )
    out = tmp_path / "out"
    (out / "jobs" / "delivery" / "jobs" / "seed").mkdir(parents=True)
    (out / "jobs" / "delivery" / "config.xml").write_text("<folder/>")
    (out / "jobs" / "delivery" / "jobs" / "seed" / "config.xml").write_text("<seed/>")
    spec = tmp_path / "jenkinsgen.yaml"
    spec.write_text(
        "version: 1\nfolder: delivery\n"
        "defaults: {registry: registry.example.com/acme, registry_credentials: reg}\n"
        "environments: [{name: prod, branch: main, deploy: manual,"
        " approvers: [release-managers]}]\n"
        "services: [{name: orders, repo: 'https://git.example.com/o.git', build: make}]\n"
    )
    tag = docker_cleanup.name("jgtest-cli-controller")
    docker_cleanup.images.append(tag)
    result = CliRunner().invoke(
        cli,
        [
            "image", "build", "controller", "--tag", tag, "--base", standin_jenkins_image,
            "--bundle", str(lock), "--jobs", str(out), "--admin-user", "ops",
            "--admin-password-file", "/run/secrets/admin",
            "--spec", str(spec), "--approver", "qa-leads",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Step " in result.output  # streamed progress
    home = tmp_path / "home"
    home.mkdir(mode=0o755)
    secret = tmp_path / "admin"
    secret.write_text("s3cret\n")
    container = docker_cleanup.run(
        tag,
        volumes={
            str(home): {"bind": "/var/jenkins_home", "mode": "rw"},
            str(secret): {"bind": "/run/secrets/admin", "mode": "ro"},
        },
    )
    wait_for_file(home / "standin-java.started", container)
    assert sorted(p.name for p in (home / "plugins").glob("*.jpi")) == [
        "configuration-as-code.jpi",
        "mailer.jpi",
        "matrix-auth.jpi",
    ]
    assert (home / "jobs" / "delivery" / "jobs" / "seed" / "config.xml").read_text() == "<seed/>"
    code, casc = container.exec_run(["cat", "/usr/share/jenkinsgen/casc/image/controller.yaml"])
    assert code == 0
    users = yaml.safe_load(casc)["jenkins"]["securityRealm"]["local"]["users"]
    assert users == [{"id": "ops", "password": "${readFile:/run/secrets/admin}"}]
    entries = yaml.safe_load(casc)["jenkins"]["authorizationStrategy"]["globalMatrix"]["entries"]
    approvers = [e["userOrGroup"]["name"] for e in entries if "userOrGroup" in e]
    assert approvers == ["qa-leads", "release-managers"]  # --approver and the spec's
