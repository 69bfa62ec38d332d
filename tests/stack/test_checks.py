"""`jenkinsgen up`/`down` refuse a stack whose files do not fit together before building or
starting anything: one located line per problem, exit status 1, nothing changed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.stack.conftest import init_args, run_cli, set_env


@pytest.fixture
def stack(tmp_path: Path, sock: Path) -> Path:
    directory = tmp_path / "stack"
    result = run_cli(*init_args(directory), "--docker-socket", str(sock))
    assert result.exit_code == 0, result.output
    return directory


def up_fails(directory: Path, *extra: str) -> list[str]:
    """`up` fails: its error lines (and nothing was started: compose never ran)."""
    result = run_cli("up", str(directory), *extra)
    assert result.exit_code == 1, result.output
    assert "starting" not in result.output and "building" not in result.output
    return [line for line in result.output.splitlines() if line]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_release_paths_and_engines_outside_the_stack_are_located(stack: Path) -> None:
    spec = stack / "jenkinsgen.yaml"
    edit(spec, "state_dir: /var/lib/jenkinsgen/dev/state", "state_dir: /srv/dev-state")
    edit(spec, "config: /var/lib/jenkinsgen/prod/haproxy.cfg", "config: /etc/haproxy/prod.cfg")
    edit(spec, "    release:\n", "    release:\n      docker_host: tcp://10.1.2.3:2376\n")
    lines = up_fails(stack)
    assert lines[:3] == [
        f"{spec}:{line_of(spec, 'docker_host')}:20: environments[0].release.docker_host: in a "
        "jenkinsgen stack, releases run on this machine's engine (unix:///var/run/docker.sock), "
        "the socket the receiver mounts",
        f"{spec}:{line_of(spec, '/srv/dev-state')}:18: environments[0].release.state_dir: "
        "'/srv/dev-state': in a jenkinsgen stack, release files live in the volume the receiver "
        "and HAProxy share: use a path below /var/lib/jenkinsgen/",
        f"{spec}:{line_of(spec, '/etc/haproxy')}:17: environments[2].release.proxy.config: "
        "'/etc/haproxy/prod.cfg': in a jenkinsgen stack, release files live in the volume the "
        "receiver and HAProxy share: use a path below /var/lib/jenkinsgen/",
    ]
    assert lines[3] == "3 problems found"


def test_an_agent_image_up_does_not_build_is_located(stack: Path) -> None:
    spec = stack / "jenkinsgen.yaml"
    edit(spec, "image: jenkinsgen/agent:stack", "image: acme/agent:1")
    [line, count] = up_fails(stack)
    assert line.startswith(f"{spec}:{line_of(spec, 'acme/agent:1')}:10: agents.image: ")
    assert "AGENT_IMAGE in .env is 'jenkinsgen/agent:stack'" in line
    assert count == "1 problem found"


def test_plugins_compose_and_secrets_that_do_not_fit_are_one_line_each(stack: Path) -> None:
    plugins = stack / "plugins.txt"
    saved = plugins.read_text()
    plugins.write_text("\n".join(x for x in saved.splitlines() if not x.startswith("junit:")))
    [line] = up_fails(stack)
    assert line.startswith(f"error: {plugins}: the spec needs plugins it does not list: junit:")
    plugins.write_text(saved)

    compose = stack / "compose.yaml"
    saved = compose.read_text()
    compose.write_text(saved.replace("  proxy-prod:", "  proxy-production:"))
    [line] = up_fails(stack)
    assert line == (
        f"error: {compose}: no service 'proxy-prod' for the release block of prod: remove it "
        f"and run `jenkinsgen init {stack}` to write it for the spec again"
    )
    compose.write_text(saved)

    (stack / "secrets/push-token").unlink()
    [line] = up_fails(stack)
    assert line == (
        f"error: {compose}: secret PUSH_TOKEN: {stack / 'secrets/push-token'} is missing "
        f"(`jenkinsgen init {stack}` writes the missing secrets)"
    )
    assert run_cli("init", str(stack)).exit_code == 0

    (stack / "secrets/registry-password").write_text("another password\n")
    [line] = up_fails(stack)
    assert "registry-htpasswd does not hold jenkinsgen with the password" in line
    assert "another password" not in line


def test_settings_that_do_not_fit_are_located_in_env(stack: Path, sock: Path) -> None:
    env = stack / ".env"
    set_env(stack, DOCKER_GID="4243" if os.stat(sock).st_gid != 4243 else "4244")
    [line] = up_fails(stack)
    assert line.startswith(f"error: {env}: DOCKER_GID=") and "set DOCKER_GID=" in line
    set_env(stack, JENKINS_PORT="80808")
    [line] = up_fails(stack)
    where = f"{env}:{line_of(env, 'JENKINS_PORT=')}"
    assert line == f"error: {where}: JENKINS_PORT: '80808' is not a port (1-65535)"
    env.write_text(env.read_text().replace("JENKINS_PORT=80808\n", "JENKINS_PORT 8080\n"))
    [line] = up_fails(stack)
    where = f"{env}:{line_of(env, 'JENKINS_PORT 8080')}"
    assert line == f"error: {where}: not a NAME=value line: 'JENKINS_PORT 8080'"
    env.unlink()
    [line] = up_fails(stack)
    assert line == f"error: {env} is missing: `jenkinsgen init {stack}` writes it"


def test_down_outside_a_stack_and_without_compose_is_one_line(
    tmp_path: Path, stack: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = run_cli("down", str(tmp_path / "nothing"))
    assert result.exit_code == 1
    assert result.output == (
        f"error: {tmp_path / 'nothing'} is not a stack directory: run "
        f"`jenkinsgen init {tmp_path / 'nothing'}`\n"
    )
    monkeypatch.setenv("JENKINSGEN_COMPOSE", "no-such-compose-here")
    result = run_cli("down", str(stack))
    assert result.exit_code == 1
    assert result.output == (
        "error: JENKINSGEN_COMPOSE='no-such-compose-here' does not answer `version --short`\n"
    )


@pytest.mark.docker
def test_down_stops_a_stack_whose_spec_is_broken(stack: Path, docker_client: object) -> None:
    spec = stack / "jenkinsgen.yaml"
    spec.write_text("version: 1\nfolder: [oops\n")
    result = run_cli("down", str(stack))  # nothing runs: compose has nothing to stop
    assert result.exit_code == 0, result.output
    assert "stack stack is down (volumes kept" in result.stdout
    result = run_cli("down", str(stack), "--volumes")
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith(f"warning: {spec}:3:1: YAML syntax error")
    assert "released apps are left running (their folder is unknown)" in result.stderr
