"""Hostile input to the CLI: one located error line and a non-zero exit, never a traceback,
never a password echoed (jenkinsgen.redact), nothing half-done. Each case runs the installed
command as a user would, in a process of its own; nothing listens where it connects."""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from jenkinsgen.redact import redact_credentials
from jenkinsgen.render import output as render_output
from jenkinsgen.render import render_spec
from jenkinsgen.render.output import write_tree
from jenkinsgen.spec import load_spec

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "jenkinsgen.yaml"
PASSWORD = "Sup3rSecretPW"


def jenkinsgen(*args: str, cwd: Path, stdout: int | None = subprocess.PIPE) -> tuple[int, str]:
    proc = subprocess.run(
        [sys.executable, "-m", "jenkinsgen.cli.main", *args],
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        cwd=cwd,
        timeout=120,
        check=False,
    )
    return proc.returncode, proc.stderr


def refused(args: tuple[str, ...], cwd: Path, expect: str) -> str:
    code, err = jenkinsgen(*args, cwd=cwd)
    assert code == 1, err
    assert "Traceback" not in err, err
    assert PASSWORD not in err, err
    assert expect in err, err
    return err


def test_passwords_in_urls_are_refused_without_being_echoed(tmp_path: Path) -> None:
    spec = tmp_path / "s.yaml"
    text = EXAMPLE.read_text()
    first_repo = next(line for line in text.splitlines() if "repo:" in line).split("repo:")[1]
    spec.write_text(text.replace(first_repo, f" ftp://u:{PASSWORD}@git.example.com/x.git", 1))
    err = refused(("validate", str(spec)), tmp_path, "u:***@git.example.com")
    assert err.splitlines()[0].startswith(f"{spec.name}:") or str(spec) in err.splitlines()[0]
    refused(("diff", str(EXAMPLE), "--url", f"admin:{PASSWORD}@127.0.0.1:9"), tmp_path, "***")
    refused(
        ("agents", "status", "--url", "http://127.0.0.1:9/", "--docker-host",
         f"tcp://u:{PASSWORD}@127.0.0.1:9"),
        tmp_path,
        "no password in the URL",
    )  # fmt: skip
    refused(
        ("image", "build", "controller", "--url", f"http://admin:{PASSWORD}@jenkins.example/"),
        tmp_path,
        "no user or password in it",
    )


def test_ports_out_of_range_are_one_line(tmp_path: Path) -> None:
    refused(
        ("agents", "status", "--url", "http://127.0.0.1:9/", "--docker-host",
         "tcp://127.0.0.1:99999"),
        tmp_path,
        "Port out of range",
    )  # fmt: skip
    plugins = tmp_path / "plugins.txt"
    plugins.write_text("git:5.10.1\n")
    refused(
        ("bundle", "resolve", str(plugins), "--update-center",
         f"http://u:{PASSWORD}@127.0.0.1:99999/uc.json", "--jenkins-version", "2.555.2",
         "-o", str(tmp_path / "plugins.lock")),
        tmp_path,
        "***@127.0.0.1:99999",
    )  # fmt: skip
    assert not (tmp_path / "plugins.lock").exists()


def test_a_symbolic_link_loop_as_output_or_stack_directory(tmp_path: Path) -> None:
    (tmp_path / "loop1").symlink_to("loop2")
    (tmp_path / "loop2").symlink_to("loop1")
    refused(("render", str(EXAMPLE), "-o", "loop1"), tmp_path, "loop1")
    refused(("init", "loop1"), tmp_path, "loop1")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["loop1", "loop2"]


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
def test_output_that_cannot_be_written_is_one_line(tmp_path: Path) -> None:
    with open("/dev/full", "w") as full:
        code, err = jenkinsgen("schema", cwd=tmp_path, stdout=full.fileno())
    assert code == 1 and "Traceback" not in err, err
    assert err.strip() == "error: writing the output: No space left on device"


def test_an_interrupt_after_the_new_tree_is_in_place_is_not_a_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    rendered = render_spec(load_spec(EXAMPLE))
    out = tmp_path / "out"
    write_tree(rendered, out)
    before = sorted(p.relative_to(out) for p in out.rglob("*"))

    def interrupted(path: object, ignore_errors: bool = False) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(render_output.shutil, "rmtree", interrupted)
    with caplog.at_level(logging.WARNING, logger="jenkinsgen.render"):
        write_tree(rendered, out)  # no KeyboardInterrupt: the render is done
    monkeypatch.undo()
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before
    assert "interrupted while removing the previous tree" in caplog.text
    (left,) = [p for p in tmp_path.iterdir() if p.name != "out"]
    shutil.rmtree(left)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("'ftp://u:pw@host/x.git' is not a URL", "'ftp://u:***@host/x.git' is not a URL"),
        ("registry u:pw@reg/acme", "registry u:***@reg/acme"),
        ("tcp://u:pw@127.0.0.1:1", "tcp://u:***@127.0.0.1:1"),
        ("reg/app:1.0@sha256:ab", "reg/app:1.0@sha256:ab"),  # a digest, not a password
        ("git@github.com:org/repo.git", "git@github.com:org/repo.git"),  # user only
        ("no credentials here", "no credentials here"),
    ],
)
def test_redact_credentials(text: str, expected: str) -> None:
    assert redact_credentials(text) == expected
