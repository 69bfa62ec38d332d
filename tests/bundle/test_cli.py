"""``jenkinsgen bundle resolve|download``: exit codes, located one-line errors, no traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from jenkinsgen.cli.main import cli
from tests.bundle.archives import Catalogue


def _run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def _resolve_args(plugins: Path, uc: Path, out: Path, *extra: str) -> list[str]:
    return [
        "bundle",
        "resolve",
        str(plugins),
        "--update-center",
        str(uc),
        "--jenkins-version",
        "2.249.3",
        "-o",
        str(out),
        *extra,
    ]


def test_resolve_then_download(catalogue: Catalogue, tmp_path: Path) -> None:
    plugins = tmp_path / "plugins.txt"
    plugins.write_text("github-branch-source\n")
    lock = tmp_path / "plugins.lock"
    result = _run(*_resolve_args(plugins, catalogue.write(), lock))
    assert result.exit_code == 0, result.output
    assert f"{lock}: 3 plugins (1 requested, 2 dependencies) for Jenkins 2.249.3" in result.stdout
    assert [p["name"] for p in json.loads(lock.read_text())["plugins"]] == [
        "credentials",
        "github-branch-source",
        "ssh-credentials",
    ]

    target = tmp_path / "dir"
    result = _run("bundle", "download", str(lock), "-d", str(target), "-j", "2")
    assert result.exit_code == 0, result.output
    assert f"{target}: 3 downloaded, 0 already present, 3 plugins verified" in result.stdout
    (target / "stale.jpi").write_bytes(b"old")
    result = _run("bundle", "download", str(lock), "-d", str(target), "--prune")
    assert f"{target}: 0 downloaded, 3 already present" in result.stdout
    assert not (target / "stale.jpi").exists()


def test_yaml_plugin_list(catalogue: Catalogue, tmp_path: Path) -> None:
    plugins = tmp_path / "plugins.yaml"
    plugins.write_text("plugins:\n  - artifactId: junit\n    source:\n      version: 1.2\n")
    result = _run(*_resolve_args(plugins, catalogue.write(), tmp_path / "p.lock"))
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "p.lock").read_text())["plugins"][0]["version"] == "1.2"


def test_security_warning_and_strict(catalogue: Catalogue, tmp_path: Path) -> None:
    catalogue.document["warnings"] = [
        {
            "id": "SECURITY-9",
            "name": "junit",
            "type": "plugin",
            "message": "XSS",
            "url": "https://example.invalid",
            "versions": [{"pattern": "1[.][0-2]"}],
        }
    ]
    plugins = tmp_path / "plugins.txt"
    plugins.write_text("junit\n")
    lock = tmp_path / "plugins.lock"
    result = _run(*_resolve_args(plugins, catalogue.write(), lock))
    assert result.exit_code == 0
    assert "warning: security: junit 1.2 is affected by SECURITY-9: XSS" in result.stderr
    lock.unlink()
    result = _run(*_resolve_args(plugins, catalogue.write(), lock, "--strict"))
    assert result.exit_code == 1
    assert "error: security: junit 1.2 is affected by SECURITY-9" in result.stderr
    assert not lock.exists()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("junit\nnope\n", "error: {plugins}:2: unknown plugin nope: not in the update center"),
        ("junit:1.2:gopher://x\n", "error: {plugins}:1: junit: not a http, https or file URL"),
        ("junit:9\n", "error: {plugins}:1: junit 9 is not a known release"),
    ],
)
def test_resolve_errors_are_located(
    catalogue: Catalogue, tmp_path: Path, content: str, expected: str
) -> None:
    plugins = tmp_path / "plugins.txt"
    plugins.write_text(content)
    lock = tmp_path / "plugins.lock"
    lock.write_text("previous")
    result = _run(*_resolve_args(plugins, catalogue.write(), lock))
    assert result.exit_code == 1
    assert result.stderr.startswith(expected.format(plugins=plugins))
    assert "Traceback" not in result.output
    assert lock.read_text() == "previous"  # untouched


def test_required_core_error(catalogue: Catalogue, tmp_path: Path) -> None:
    plugins = tmp_path / "plugins.txt"
    plugins.write_text("mailer\n")
    result = _run(
        "bundle",
        "resolve",
        str(plugins),
        "--update-center",
        str(catalogue.write()),
        "--jenkins-version",
        "2.100",
        "-o",
        str(tmp_path / "l"),
    )
    assert result.exit_code == 1
    assert result.stderr == "error: mailer 1.32 requires Jenkins >= 2.150.1, not 2.100\n"


@pytest.mark.parametrize("version", ["notaversion", "latest", "", "2.249.3 ", "v2.249"])
def test_jenkins_version_that_is_not_a_version(
    catalogue: Catalogue, tmp_path: Path, version: str
) -> None:
    plugins = tmp_path / "plugins.txt"
    plugins.write_text("mailer\n")
    args = _resolve_args(plugins, catalogue.write(), tmp_path / "l")
    args[args.index("2.249.3")] = version
    result = _run(*args)
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: Jenkins version {version!r} is not a version such as 2.555.2 "
        "(numbers separated by dots)\n"
    )
    assert not (tmp_path / "l").exists()


def test_download_errors(catalogue: Catalogue, tmp_path: Path) -> None:
    bad = tmp_path / "bad.lock"
    bad.write_text('{"lockVersion": 1,\n "jenkins": 3}\n')
    result = _run("bundle", "download", str(bad), "-d", str(tmp_path / "d"))
    assert result.exit_code == 1
    assert result.stderr == f"error: {bad}: 'jenkins' must be a non-empty string\n"
    result = _run("bundle", "download", str(tmp_path / "none.lock"), "-d", str(tmp_path / "d"))
    assert result.exit_code == 1
    assert "cannot read lock: No such file or directory" in result.stderr
    assert not (tmp_path / "d").exists()


def test_download_failure_through_the_console_script(catalogue: Catalogue, tmp_path: Path) -> None:
    """The real entry point: a checksum failure is one error per problem, exit 1, no trace."""
    plugins = tmp_path / "plugins.txt"
    plugins.write_text("junit\n")
    lock = tmp_path / "plugins.lock"
    assert _run(*_resolve_args(plugins, catalogue.write(), lock)).exit_code == 0
    catalogue.server.files["/download/plugins/junit/1.2/junit.hpi"] += b"x"
    process = subprocess.run(
        [
            sys.executable,
            "-m",
            "jenkinsgen.cli.main",
            "bundle",
            "download",
            str(lock),
            "-d",
            str(tmp_path / "d"),
            "--retries",
            "0",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "NO_COLOR": "1"},
        check=False,
    )
    assert process.returncode == 1
    lines = process.stderr.splitlines()
    assert lines[0].startswith("error: junit 1.2: sha256 mismatch: expected ")
    assert lines[1] == f"error: {tmp_path / 'd'}: left unchanged"
    assert "Traceback" not in process.stderr
    assert not (tmp_path / "d").exists()


def _download_command(lock: Path, target: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "jenkinsgen.cli.main",
        "bundle",
        "download",
        str(lock),
        "-d",
        str(target),
    ]


def test_progress_bar_only_on_a_terminal(catalogue: Catalogue, tmp_path: Path) -> None:
    import pty

    plugins = tmp_path / "plugins.txt"
    plugins.write_text("github-branch-source\n")
    lock = tmp_path / "plugins.lock"
    assert _run(*_resolve_args(plugins, catalogue.write(), lock)).exit_code == 0
    # not a terminal: no bar, stderr stays empty
    piped = subprocess.run(
        _download_command(lock, tmp_path / "a"),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert piped.returncode == 0
    assert piped.stderr == ""
    # stderr on a pseudo-terminal: the bar is drawn there
    controller, terminal = pty.openpty()
    try:
        process = subprocess.run(
            _download_command(lock, tmp_path / "b"),
            stdout=subprocess.PIPE,
            stderr=terminal,
            timeout=120,
            check=False,
        )
        os.close(terminal)
        terminal = -1
        drawn = b""
        while True:
            try:
                chunk = os.read(controller, 4096)
            except OSError:
                break
            if not chunk:
                break
            drawn += chunk
    finally:
        if terminal >= 0:
            os.close(terminal)
        os.close(controller)
    assert process.returncode == 0
    assert b"plugins  [" in drawn
    assert b"100%" in drawn


def test_ctrl_c_during_download_leaves_dir_as_it_was(catalogue: Catalogue, tmp_path: Path) -> None:
    """SIGINT while archives are in flight: exit 130, DIR untouched, no staging left."""
    import signal
    import time

    plugins = tmp_path / "plugins.txt"
    plugins.write_text("github-branch-source\n")
    lock = tmp_path / "plugins.lock"
    assert _run(*_resolve_args(plugins, catalogue.write(), lock)).exit_code == 0
    target = tmp_path / "dir"
    target.mkdir()
    (target / "keep.jpi").write_bytes(b"previous bundle")
    # Long enough that no archive can finish before the signal lands, even on a busy machine.
    catalogue.server.delay = 3.0
    process = subprocess.Popen(
        _download_command(lock, target), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 30
        while catalogue.server.in_flight == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert catalogue.server.in_flight > 0
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 130
    assert stderr.decode().strip() == "error: interrupted"
    assert [p.name for p in target.iterdir()] == ["keep.jpi"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "dir",
        "plugins.lock",
        "plugins.txt",
        "update-center.json",
    ]


def test_check_reports_a_stale_lock(catalogue: Catalogue, tmp_path: Path) -> None:
    plugins = tmp_path / "plugins.txt"
    plugins.write_text("github-branch-source\n")
    lock = tmp_path / "plugins.lock"
    assert _run(*_resolve_args(plugins, catalogue.write(), lock)).exit_code == 0
    before = lock.read_bytes()
    result = _run(*_resolve_args(plugins, catalogue.write(), lock, "--check"))
    assert result.exit_code == 0
    assert f"{lock}: up to date" in result.stdout
    plugins.write_text("github-branch-source\njunit\n")
    result = _run(*_resolve_args(plugins, catalogue.write(), lock, "--check"))
    assert result.exit_code == 1
    assert result.stderr == f"error: {lock}: out of date: junit (none) -> 1.2\n"
    assert lock.read_bytes() == before


def test_experimental_update_center_option(catalogue: Catalogue, tmp_path: Path) -> None:
    plugins = tmp_path / "plugins.txt"
    plugins.write_text("junit:experimental\n")
    lock = tmp_path / "plugins.lock"
    result = _run(*_resolve_args(plugins, catalogue.write(), lock))
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {plugins}:1: junit:experimental needs an experimental update center "
        "(--experimental-update-center)\n"
    )
    experimental = tmp_path / "experimental.json"
    document = json.loads(catalogue.path.read_text())
    document["plugins"]["junit"]["version"] = "1.3-beta-1"
    experimental.write_text(json.dumps(document))
    result = _run(
        *_resolve_args(
            plugins, catalogue.path, lock, "--experimental-update-center", str(experimental)
        )
    )
    assert result.exit_code == 0, result.output
    assert json.loads(lock.read_text())["plugins"][0]["version"] == "1.3-beta-1"
