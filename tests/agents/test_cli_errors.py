"""Bad input to every ``agents`` command: one clear error line, non-zero exit, no traceback,
and nothing changed.  Usage errors (a missing or out-of-range option) are click's, exit 2, as
for every jenkinsgen command; our own errors exit 1."""

from __future__ import annotations

import socket

import pytest
from click.testing import CliRunner, Result

from jenkinsgen.cli.main import cli

COMMANDS = {
    "up": ["--count", "1", "--label", "docker"],
    "status": [],
    "down": ["--all"],
}


def _run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["agents", *args], catch_exceptions=False)


def _one_error(result: Result, code: int, message: str) -> None:
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert message in result.stderr
    if code == 1:
        assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_missing_url_is_a_usage_error(command: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JENKINS_URL", raising=False)
    _one_error(_run(command, *COMMANDS[command]), 2, "Missing option '--url'")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--count", "-1"], "-1 is not in the range 0<=x<=500"),
        (["--count", "x"], "'x' is not a valid integer"),
        (["--count", "1", "--executors", "0"], "0 is not in the range 1<=x<=64"),
    ],
)
def test_bad_numbers_are_usage_errors(args: list[str], message: str) -> None:
    _one_error(_run("up", "--url", "http://127.0.0.1:1", "--label", "d", *args), 2, message)


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("notaurl", "--url 'notaurl': use an http:// or https:// URL with a host"),
        ("ftp://127.0.0.1/", "use an http:// or https:// URL"),
        ("http://127.0.0.1:1/ x", "use an http:// or https:// URL"),
        ("http://127.0.0.1:99999/", "use an http:// or https:// URL"),
        ("http://u:pw@127.0.0.1:1/", "credentials do not belong in the URL"),
    ],
)
def test_bad_url_is_one_located_error(command: str, url: str, message: str) -> None:
    result = _run(command, "--url", url, *COMMANDS[command])
    _one_error(result, 1, message)
    assert "pw" not in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--image", "Bad Image!!"], "--image 'Bad Image!!': not an image reference"),
        (["--image", ""], "--image '': not an image reference"),
        (["--agent-url", "not a url"], "--agent-url 'not a url': use an http:// or https://"),
        (["--label", "a b!"], "--label 'a b!': use labels of letters"),
        (["--pool", "../x"], "--pool '../x': use letters, digits"),
    ],
)
def test_bad_up_options_are_one_located_error(args: list[str], message: str) -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    _one_error(_run("up", "--url", url, "--count", "1", "--label", "docker", *args), 1, message)


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize(
    ("host", "message"),
    [
        ("unix:///nonexistent/docker.sock", "cannot connect: no such socket"),
        ("tcp://127.0.0.1:{port}", "docker host tcp://127.0.0.1:{port}: cannot connect"),
        ("ssh://ci@127.0.0.1:{port}", "docker host ssh://ci@127.0.0.1:{port}: "),
        ("http://127.0.0.1:2375", "use unix://, tcp:// or ssh://"),
    ],
)
def test_unreachable_or_bad_docker_host_is_one_error(command: str, host: str, message: str) -> None:
    port = _closed_port()
    args = ["--url", "http://127.0.0.1:1", "--docker-host", host.format(port=port)]
    _one_error(_run(command, *args, *COMMANDS[command]), 1, message.format(port=port))


@pytest.mark.docker
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_unreachable_jenkins_is_one_located_error(command: str) -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    result = _run(command, "--url", url, *COMMANDS[command])
    _one_error(result, 1, f"computer: list agents failed: cannot connect to {url}/")
