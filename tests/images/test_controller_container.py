"""The controller image on a bind-mounted JENKINS_HOME, with real containers.

The image is built FROM the stand-in jenkins base (tests/dockerlib), which keeps the official
image's contract: its start script exits with "Wrong volume permissions?" when JENKINS_HOME
is not writable by uid 1000, so every start below proves the entrypoint's fix-up did its job.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.dockerlib.fixtures import DockerCleanup
from tests.images.conftest import PLUGINS
from tests.images.helpers import logs, wait_exit, wait_for_file

pytestmark = pytest.mark.docker
HOME = "/var/jenkins_home"


#: The casc's admin password: the controller image refuses to start without one.
PASSWORD = {"JENKINS_ADMIN_PASSWORD": "test-admin-password"}


def start(cleanup: DockerCleanup, image: str, home: Path, **kwargs: Any) -> Any:
    volumes = {str(home): {"bind": HOME, "mode": "rw"}, **kwargs.pop("volumes", {})}
    environment = {**PASSWORD, **kwargs.pop("environment", {})}
    return cleanup.run(image, volumes=volumes, environment=environment, **kwargs)


def owners(root: Path) -> set[tuple[int, int]]:
    found = {(root.lstat().st_uid, root.lstat().st_gid)}
    for path in root.rglob("*"):
        st = path.lstat()
        found.add((st.st_uid, st.st_gid))
    return found


def test_standin_base_alone_refuses_a_root_owned_home(
    docker_cleanup: DockerCleanup, standin_jenkins_image: str, tmp_path: Path
) -> None:
    """Control: without our entrypoint the upstream contract fails on this home."""
    home = tmp_path / "home"
    home.mkdir(mode=0o755)
    container = start(docker_cleanup, standin_jenkins_image, home)
    assert wait_exit(container) != 0
    assert "Wrong volume permissions?" in logs(container)


def test_root_owned_home_is_made_usable_and_sigterm_stops_it(
    docker_cleanup: DockerCleanup, controller_image: str, tmp_path: Path, bundle_dir: Path
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    home.chmod(0o755)
    assert (home.stat().st_uid, home.stat().st_gid) == (0, 0)
    container = start(docker_cleanup, controller_image, home)
    started = wait_for_file(home / "standin-java.started", container)
    assert started.startswith("uid=1000 gid=1000 ")
    assert "JAVA_OPTS=-Djenkins.install.runSetupWizard=false" in started
    assert "CASC_JENKINS_CONFIG=/usr/share/jenkinsgen/casc\n" in started
    assert owners(home) == {(1000, 1000)}
    plugins = sorted(p.name for p in (home / "plugins").glob("*.jpi"))
    assert plugins == sorted(f"{name}.jpi" for name in PLUGINS)
    for name in PLUGINS:
        assert (home / "plugins" / f"{name}.jpi").read_bytes() == (
            bundle_dir / f"{name}.jpi"
        ).read_bytes()
    # Docker sends SIGKILL only after the timeout: exit 137 would mean SIGTERM was not passed
    # on. The exit status, not the wall clock, tells (a busy machine can be slow to stop).
    container.stop(timeout=120)
    container.reload()
    assert container.attrs["State"]["ExitCode"] == 143  # 128 + SIGTERM, passed through tini


def test_home_owned_by_another_uid(
    docker_cleanup: DockerCleanup, controller_image: str, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    (home / "jobs" / "old").mkdir(parents=True)
    (home / "jobs" / "old" / "config.xml").write_text("<project/>")
    for path in [home, *home.rglob("*")]:
        os.lchown(path, 4321, 4321)
    home.chmod(0o700)
    container = start(docker_cleanup, controller_image, home)
    wait_for_file(home / "standin-java.started", container)
    assert owners(home) == {(1000, 1000)}
    assert (home / "jobs" / "old" / "config.xml").read_text() == "<project/>"


def test_second_start_does_not_walk_the_home_again(
    docker_cleanup: DockerCleanup, controller_image: str, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o755)
    first = start(docker_cleanup, controller_image, home)
    wait_for_file(home / "standin-java.started", first)
    first.stop(timeout=10)
    assert (home / ".jenkinsgen-owner").read_text() == "1000:1000\n"
    ctimes = {p: p.lstat().st_ctime_ns for p in (home / "plugins").iterdir()}
    # A root-owned file added afterwards shows whether the second start walks the tree.
    probe = home / "plugins" / "added-by-root.txt"
    probe.write_text("x")
    (home / "standin-java.started").unlink()
    second = start(docker_cleanup, controller_image, home)
    wait_for_file(home / "standin-java.started", second)
    assert {p: p.lstat().st_ctime_ns for p in ctimes} == ctimes
    assert probe.stat().st_uid == 0, "second start walked and chowned the home"
    second.stop(timeout=10)
    # Forcing a walk fixes exactly that file.
    (home / "standin-java.started").unlink()
    third = start(
        docker_cleanup, controller_image, home, environment={"JENKINSGEN_CHOWN": "always"}
    )
    wait_for_file(home / "standin-java.started", third)
    assert probe.stat().st_uid == 1000
    assert {p: p.lstat().st_ctime_ns for p in ctimes} == ctimes


def test_symlinks_pointing_outside_the_home_are_not_followed(
    docker_cleanup: DockerCleanup, controller_image: str, tmp_path: Path
) -> None:
    home, outside = tmp_path / "home", tmp_path / "outside"
    home.mkdir(mode=0o755)
    outside.mkdir(mode=0o755)
    (outside / "secret.txt").write_text("root's")
    (outside / "shared.txt").write_text("root's too")
    (home / "file-link").symlink_to("/outside/secret.txt")
    (home / "dir-link").symlink_to("/outside")
    os.link(outside / "shared.txt", home / "hard-link.txt")
    container = start(
        docker_cleanup,
        controller_image,
        home,
        volumes={str(outside): {"bind": "/outside", "mode": "rw"}},
    )
    wait_for_file(home / "standin-java.started", container)
    assert (outside.stat().st_uid, (outside / "secret.txt").stat().st_uid) == (0, 0)
    assert (outside / "shared.txt").stat().st_uid == 0
    assert (home / "file-link").lstat().st_uid == 1000
    assert "left 1 hard-linked file(s)" in logs(container)


@pytest.mark.parametrize("bad_home", ["/", "/usr", "/etc/jenkins", "/var", "/proc/self/root"])
def test_refuses_a_system_directory_as_home(
    docker_cleanup: DockerCleanup, controller_image: str, bad_home: str
) -> None:
    container = docker_cleanup.run(controller_image, environment={"JENKINS_HOME": bad_home})
    assert wait_exit(container, 30) == 1
    out = logs(container).strip().splitlines()
    assert len(out) in (1, 2), out  # at most a "resolves to" note before the one error line
    assert out[-1].startswith("jenkinsgen-entrypoint: refusing to take ownership of ")
    changed = {entry["Path"] for entry in container.diff() or []}
    assert "/etc/jenkins" not in changed  # refused before anything was created


def test_read_only_home_fails_in_one_line(
    docker_cleanup: DockerCleanup, controller_image: str, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o755)
    container = docker_cleanup.run(
        controller_image, volumes={str(home): {"bind": HOME, "mode": "ro"}}
    )
    assert wait_exit(container, 30) == 1
    out = logs(container).strip().splitlines()
    assert len(out) == 1, out
    assert out[0].startswith(f"jenkinsgen-entrypoint: cannot give {HOME} to jenkins (1000:1000)")
    assert "Read-only file system" in out[0]


@pytest.mark.parametrize(
    ("environment", "message"),
    [
        ({"JENKINSGEN_CHOWN": "sometimes"}, "JENKINSGEN_CHOWN must be auto, always or never"),
        ({"JENKINSGEN_USER": "root"}, "refusing to run as 'root': it is root"),
        ({"JENKINSGEN_USER": "nobody-here"}, "user 'nobody-here' does not exist in this image"),
        ({"JENKINS_HOME": "relative/home"}, "data directory 'relative/home' is not an absolute"),
        ({"JENKINS_HOME": "/srv/missing-link"}, "/srv/missing-link is a dangling symbolic link"),
        ({"JENKINS_HOME": "/srv/a-file"}, "/srv/a-file is not a directory"),
    ],
    ids=["bad-chown-mode", "root-user", "unknown-user", "relative", "dangling", "file"],
)
def test_bad_settings_fail_in_one_line(
    docker_cleanup: DockerCleanup,
    controller_image: str,
    tmp_path: Path,
    environment: dict[str, str],
    message: str,
) -> None:
    srv = tmp_path / "srv"
    srv.mkdir()
    (srv / "missing-link").symlink_to("/srv/nowhere")
    (srv / "a-file").write_text("")
    container = docker_cleanup.run(
        controller_image,
        environment=environment,
        volumes={str(srv): {"bind": "/srv", "mode": "rw"}},
    )
    assert wait_exit(container, 30) == 1
    out = logs(container).strip().splitlines()
    assert len(out) == 1 and out[0].startswith("jenkinsgen-entrypoint: "), out
    assert message in out[0], out
