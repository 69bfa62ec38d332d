"""The stand-in jenkins base copies reference files as the official start script does.

Expectations read from jenkinsci/docker at tag 2.555.2 (the pinned LTS), ``jenkins-support``
``copy_reference_file`` and ``jenkins.sh``: files and symbolic links under $REF are visited; a
non-plugin file is copied only when the home lacks it or when it is marked ``.override`` (the
link's target is copied); a plugin is installed when missing (with ``.pinned`` and a
``.version_from_image`` marker), upgraded when the image has a newer version and nobody
upgraded it by hand since, and never downgraded. The controller tests rely on this stand-in,
so its fidelity is tested here, with the real start script's log words.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.dockerlib.fixtures import DockerCleanup
from tests.dockerlib.plugins import make_plugin
from tests.images.helpers import logs, wait_exit

pytestmark = pytest.mark.docker


def start(cleanup: DockerCleanup, image: str, ref: Path, home: Path, **env: str) -> str:
    """Run the start script once (``true`` as the command: copy, then exit); returns the log."""
    container = cleanup.run(
        image,
        command=["true"],
        environment=env,
        volumes={
            str(ref): {"bind": "/usr/share/jenkins/ref", "mode": "ro"},
            str(home): {"bind": "/var/jenkins_home", "mode": "rw"},
        },
    )
    assert wait_exit(container) == 0, logs(container)
    return (home / "copy_reference_file.log").read_text()


def owned_by_jenkins(*dirs: Path) -> None:
    for root in dirs:
        for path in [root, *root.rglob("*")]:
            os.lchown(path, 1000, 1000)


def test_files_links_and_overrides(
    docker_cleanup: DockerCleanup, standin_jenkins_image: str, tmp_path: Path
) -> None:
    ref, home = tmp_path / "ref", tmp_path / "home"
    (ref / "jobs" / "a").mkdir(parents=True)
    (ref / "jobs" / "a" / "config.xml").write_text("image a")
    (ref / "jobs" / "b").mkdir()
    (ref / "jobs" / "b" / "config.xml.override").write_text("image b")
    (ref / "target.txt").write_text("the target")
    (ref / "link.txt").symlink_to("target.txt")
    home.mkdir()
    owned_by_jenkins(ref, home)
    first = start(docker_cleanup, standin_jenkins_image, ref, home)
    assert "INSTALLED jobs/a/config.xml" in first and "INSTALLED jobs/b/config.xml" in first
    assert (home / "link.txt").read_text() == "the target" and not (home / "link.txt").is_symlink()
    assert not (home / "jobs" / "b" / "config.xml.override").exists()

    (home / "jobs" / "a" / "config.xml").write_text("edited in the home")
    (home / "jobs" / "b" / "config.xml").write_text("edited in the home")
    (home / "copy_reference_file.log").unlink()
    second = start(docker_cleanup, standin_jenkins_image, ref, home)
    assert (home / "jobs" / "a" / "config.xml").read_text() == "edited in the home"
    assert (home / "jobs" / "b" / "config.xml").read_text() == "image b"  # .override wins
    assert "jobs/a/config.xml" not in second and "INSTALLED jobs/b/config.xml" in second


def test_plugins_are_installed_upgraded_and_never_downgraded(
    docker_cleanup: DockerCleanup, standin_jenkins_image: str, tmp_path: Path
) -> None:
    ref, home = tmp_path / "ref", tmp_path / "home"
    make_plugin(ref / "plugins", "git", "5.2.0")
    make_plugin(ref / "plugins", "junit", "1300.v03d9d8a_cf1fb_")
    home.mkdir()
    owned_by_jenkins(ref, home)
    log = start(docker_cleanup, standin_jenkins_image, ref, home)
    assert "INSTALLED plugins/git.jpi : 5.2.0" in log
    assert (home / "plugins" / "git.jpi.pinned").exists()
    assert (home / "plugins" / "git.jpi.version_from_image").read_text() == "5.2.0\n"

    # a rebuilt image: git newer, junit older than what the home has (marker says: from image)
    make_plugin(ref / "plugins", "git", "5.10.1")
    make_plugin(ref / "plugins", "junit", "1299.v1")
    owned_by_jenkins(ref)
    log = start(docker_cleanup, standin_jenkins_image, ref, home)
    assert "UPGRADED plugins/git.jpi" in log
    assert (home / "plugins" / "git.jpi.version_from_image").read_text() == "5.10.1\n"
    assert "SKIPPED plugins/junit.jpi" in log
    assert (home / "plugins" / "junit.jpi.version_from_image").read_text() == (
        "1300.v03d9d8a_cf1fb_\n"
    )

    # upgraded by hand in the home (newer than its marker): the image no longer touches it ...
    make_plugin(home / "plugins", "git", "6.0.0")
    make_plugin(ref / "plugins", "git", "6.1.0")
    owned_by_jenkins(ref, home)
    log = start(docker_cleanup, standin_jenkins_image, ref, home)
    assert "SKIPPED plugins/git.jpi" in log and "upgraded by hand" in log
    # ... unless PLUGINS_FORCE_UPGRADE is set
    log = start(docker_cleanup, standin_jenkins_image, ref, home, PLUGINS_FORCE_UPGRADE="true")
    assert "UPGRADED plugins/git.jpi" in log.split("--- Copying files")[-1]
    assert (home / "plugins" / "git.jpi.version_from_image").read_text() == "6.1.0\n"
