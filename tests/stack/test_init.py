"""`jenkinsgen init DIR`: a working scaffold, never a replaced file, secrets 0600."""

from __future__ import annotations

import shutil
import stat
import subprocess
from pathlib import Path

import pytest
import yaml

from jenkinsgen.images.pins import plugin_pins
from jenkinsgen.spec import load_spec
from jenkinsgen.stack.layout import SECRETS
from jenkinsgen.stack.plugins import needed_plugins
from jenkinsgen.stack.secrets import htpasswd_matches
from jenkinsgen.stack.settings import read_settings
from tests.stack.conftest import init_args, run_cli

FILES = ["jenkinsgen.yaml", "plugins.txt", "compose.yaml", ".env", ".gitignore"]
SECRET_FILES = [s.path for s in SECRETS]


def snapshot(directory: Path) -> dict[str, tuple[bytes, int, int]]:
    return {
        str(p.relative_to(directory)): (
            p.read_bytes(),
            p.stat().st_ino,
            stat.S_IMODE(p.stat().st_mode),
        )
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def init(directory: Path, sock: Path, *extra: str) -> str:
    result = run_cli(*init_args(directory), "--docker-socket", str(sock), *extra)
    assert result.exit_code == 0, result.output
    return result.output


def test_init_into_an_empty_directory_writes_a_working_scaffold(tmp_path: Path, sock: Path) -> None:
    directory = tmp_path / "stack"
    output = init(directory, sock)
    assert sorted(snapshot(directory)) == sorted(FILES + SECRET_FILES)
    for rel in FILES + SECRET_FILES:
        assert f"created {directory / rel}" in output
    assert f"next: jenkinsgen up {directory}" in output
    assert (directory / ".gitignore").read_text().splitlines()[1:] == ["/secrets/", "/.jenkinsgen/"]
    # secrets: 0600 in a 0700 directory, random, never printed
    assert stat.S_IMODE((directory / "secrets").stat().st_mode) == 0o700
    values = []
    for rel in SECRET_FILES:
        assert stat.S_IMODE((directory / rel).stat().st_mode) == 0o600, rel
        values.append((directory / rel).read_text().strip())
        assert values[-1] not in output
    tokens = [v for v, rel in zip(values, SECRET_FILES, strict=True) if "htpasswd" not in rel]
    assert len(set(tokens)) == len(tokens) and all(len(v) >= 40 for v in tokens)
    # the htpasswd is bcrypt of the registry password: Apache's own htpasswd agrees
    password = (directory / "secrets/registry-password").read_text().strip()
    htpasswd = directory / "secrets/registry-htpasswd"
    assert htpasswd.read_text().startswith("jenkinsgen:$2y$")
    assert htpasswd_matches(htpasswd.read_text(), "jenkinsgen", password)
    if shutil.which("htpasswd"):
        ok = subprocess.run(
            ["htpasswd", "-vb", str(htpasswd), "jenkinsgen", password],
            capture_output=True,
            check=False,
        )
        bad = subprocess.run(
            ["htpasswd", "-vb", str(htpasswd), "jenkinsgen", password + "x"],
            capture_output=True,
            check=False,
        )
        assert (ok.returncode, bad.returncode) == (0, 3), (ok.stderr, bad.stderr)
    # the spec validates and uses every block; plugins.txt is what it needs
    spec = load_spec(directory / "jenkinsgen.yaml")
    assert spec.seed is not None and spec.agents is not None and spec.agents.docker is not None
    assert spec.defaults.push_credentials
    assert any(e.is_glob for e in spec.environments)
    assert all(e.release is not None for e in spec.environments)
    listed = [
        line.split("#")[0].strip() for line in (directory / "plugins.txt").read_text().splitlines()
    ]
    assert [x for x in listed if x] == [
        f"{p.name}:{p.version}" for p in needed_plugins(spec, plugin_pins())
    ]
    # .env: the socket's group read from the socket; the ports init was given
    settings = read_settings(directory / ".env")
    assert settings.docker_gid == sock.stat().st_gid
    assert settings.compose_project_name == "stack" and settings.bind_address == "127.0.0.1"
    assert spec.defaults.registry == f"{settings.registry}/delivery"
    compose = yaml.safe_load((directory / "compose.yaml").read_text())
    assert "version" not in compose
    assert list(compose["services"]) == [
        "controller",
        "registry",
        "receiver",
        "proxy-dev",
        "proxy-staging",
        "proxy-prod",
    ]


def test_init_again_overwrites_nothing_and_says_so(tmp_path: Path, sock: Path) -> None:
    directory = tmp_path / "stack"
    init(directory, sock)
    before = snapshot(directory)
    output = init(directory, sock, "--jenkins-port", "9999")
    assert snapshot(directory) == before  # same bytes, same inodes (not rewritten), same modes
    for rel in FILES + SECRET_FILES:
        assert f"kept {directory / rel} (it exists)" in output
    assert f"{directory}: nothing missing" in output
    assert f"warning: {directory / '.env'} exists: its settings apply, not --jenkins-port" in output


@pytest.mark.parametrize(
    "removed",
    [
        "compose.yaml",
        "plugins.txt",
        ".env",
        ".gitignore",
        "jenkinsgen.yaml",
        "secrets/deploy-token",
        "secrets/registry-htpasswd",
    ],
)
def test_init_recreates_only_the_file_that_is_missing(
    tmp_path: Path, sock: Path, removed: str
) -> None:
    directory = tmp_path / "stack"
    init(directory, sock)
    before = snapshot(directory)
    original = (directory / removed).read_bytes()
    (directory / removed).unlink()
    output = init(directory, sock)
    after = snapshot(directory)
    assert f"created {directory / removed}" in output
    assert output.count("created ") == 1
    for rel, value in before.items():
        if rel != removed:
            assert after[rel] == value, rel
    assert stat.S_IMODE((directory / removed).stat().st_mode) == before[removed][2]
    if removed.startswith("secrets/"):
        if removed.endswith("htpasswd"):  # from the password that is still there
            password = (directory / "secrets/registry-password").read_text().strip()
            assert htpasswd_matches((directory / removed).read_text(), "jenkinsgen", password)
        else:
            assert (directory / removed).read_bytes() != original  # a new secret
    elif removed != ".env":  # the other files follow from the same inputs
        assert (directory / removed).read_bytes() == original


def test_a_lost_registry_password_whose_hash_remains_is_refused_before_writing(
    tmp_path: Path, sock: Path
) -> None:
    directory = tmp_path / "stack"
    init(directory, sock)
    (directory / "secrets/registry-password").unlink()
    (directory / "compose.yaml").unlink()
    before = snapshot(directory)
    result = run_cli("init", str(directory), "--docker-socket", str(sock))
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and "registry-htpasswd" in result.output
    assert snapshot(directory) == before


def test_an_existing_invalid_spec_is_reported_located_and_nothing_is_written(
    tmp_path: Path, sock: Path
) -> None:
    directory = tmp_path / "stack"
    directory.mkdir()
    (directory / "jenkinsgen.yaml").write_text("version: 1\nfolder: x\nservices: 3\n")
    result = run_cli("init", str(directory), "--docker-socket", str(sock))
    assert result.exit_code == 1
    assert f"{directory / 'jenkinsgen.yaml'}:3:11: services:" in result.output
    assert sorted(p.name for p in directory.iterdir()) == ["jenkinsgen.yaml"]


def test_no_docker_socket_or_a_file_for_dir_is_one_line(tmp_path: Path) -> None:
    result = run_cli("init", str(tmp_path / "s"), "--docker-socket", str(tmp_path / "none"))
    assert result.exit_code == 1 and result.output.count("\n") == 1
    assert "cannot read the group of the Docker socket" in result.output
    assert not (tmp_path / "s").exists()
    (tmp_path / "file").write_text("")
    result = run_cli("init", str(tmp_path / "file"))
    assert result.exit_code in (1, 2) and "file" in result.output
    result = run_cli("init", str(tmp_path / "t"), "--bind-address", "localhost")
    assert result.exit_code == 1 and "not an IP address" in result.output


def test_a_spec_without_release_or_agents_gives_a_smaller_compose_file(
    tmp_path: Path, sock: Path
) -> None:
    directory = tmp_path / "small"
    directory.mkdir()
    (directory / "jenkinsgen.yaml").write_text(
        "version: 1\nfolder: small\n"
        "defaults: {registry: 127.0.0.1:5000/small, registry_credentials: registry-push}\n"
        "environments: [{name: dev, branch: develop}]\n"
        "services: [{name: api, repo: 'https://git.example.com/api.git', build: make,"
        " image: {name: api}}]\n"
    )
    init(directory, sock)
    compose = yaml.safe_load((directory / "compose.yaml").read_text())
    assert list(compose["services"]) == ["controller", "registry"]
    assert list(compose["volumes"]) == ["jenkins_home", "registry"]
    assert sorted(compose["secrets"]) == [
        "JENKINS_ADMIN_PASSWORD",
        "REGISTRY_HTPASSWD",
        "REGISTRY_PASSWORD",
    ]
    assert "DOCKER_GID" not in compose["services"]["controller"]["environment"]
    plugins = (directory / "plugins.txt").read_text()
    for absent in (
        "docker-plugin",
        "pipeline-input-step",
        "generic-webhook-trigger",
        "plain-credentials",
        "docker-workflow",
        "junit",
    ):
        assert f"\n{absent}:" not in plugins
