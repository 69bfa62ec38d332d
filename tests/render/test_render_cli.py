"""``jenkinsgen render``: writing, ``--check`` for CI, ``-q``, errors without tracebacks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from jenkinsgen.cli.main import cli

ROOT = Path(__file__).resolve().parent.parent.parent
EXAMPLE = str(ROOT / "examples" / "jenkinsgen.yaml")


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_render_then_check(tmp_path: Path) -> None:
    out = str(tmp_path / "out")
    code, stdout, _ = _run("render", EXAMPLE, "-o", out)
    assert code == 0
    assert stdout == f"rendered 4 folders, 8 pipeline jobs into {out} (21 files)\n"
    code, stdout, _ = _run("render", EXAMPLE, "-o", out, "--check")
    assert code == 0 and stdout == f"{out}: up to date (4 folders, 8 pipeline jobs)\n"


def test_check_reports_what_is_out_of_date(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert _run("render", EXAMPLE, "-o", str(out))[0] == 0
    (out / "jobs/delivery/config.xml").write_text("<edited/>")
    (out / "jobs/delivery/jobs/web/jobs/dev/Jenkinsfile").unlink()
    stale = out / "jobs/delivery/jobs/gone/config.xml"
    stale.parent.mkdir(parents=True)
    stale.write_text("<x/>")
    code, stdout, _ = _run("render", EXAMPLE, "-o", str(out), "--check")
    assert code == 1
    assert stdout.splitlines() == [
        "  added   jobs/delivery/jobs/web/jobs/dev/Jenkinsfile",
        "  changed jobs/delivery/config.xml",
        "  removed jobs/delivery/jobs/gone/config.xml",
        f"{out}: out of date: 1 added, 1 changed, 1 removed; "
        f"run: jenkinsgen render {EXAMPLE} -o {out}",
    ]
    assert stale.exists()  # --check never writes


def test_check_of_missing_out_lists_everything(tmp_path: Path) -> None:
    code, stdout, _ = _run("render", EXAMPLE, "-o", str(tmp_path / "none"), "--check")
    assert code == 1
    assert "20 added, 0 changed, 0 removed" in stdout
    assert not (tmp_path / "none").exists()


def test_quiet_prints_nothing_on_success(tmp_path: Path) -> None:
    out = str(tmp_path / "out")
    assert _run("-q", "render", EXAMPLE, "-o", out) == (0, "", "")
    assert _run("-q", "render", EXAMPLE, "-o", out, "--check") == (0, "", "")


def test_refusal_is_one_error_line(tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "keep.txt").write_text("k")
    code, stdout, stderr = _run("render", EXAMPLE, "-o", str(out))
    assert code == 1 and stdout == ""
    assert stderr.startswith(f"error: {out}: not empty and not a jenkinsgen output")
    assert len(stderr.splitlines()) == 1
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]


def test_bad_spec_is_located_and_writes_nothing(tmp_path: Path) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text("version: 1\nfolder: x\nlayot: multibranch\n")
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "jenkinsgen.cli.main", "render", str(spec), "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 1
    assert f"{spec}:3:1: layot: unknown key" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not out.exists()


def test_help_has_examples() -> None:
    code, stdout, _ = _run("render", "--help")
    assert (
        code == 0 and "--check" in stdout and "jenkinsgen render jenkinsgen.yaml -o out" in stdout
    )


def test_failed_render_leaves_previous_output(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(
        "version: 1\nfolder: delivery\n"
        "defaults: {registry: r.example.com/x, registry_credentials: push}\n"
        "environments:\n  - {name: dev, branch: develop}\n"
        "services:\n  - {name: a, repo: 'https://g.example.com/a.git', build: make}\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    assert _run("render", str(good), "-o", str(out))[0] == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    bad = tmp_path / "bad.yaml"
    bad.write_text(good.read_text().replace("build: make", 'build: "make \\uffff"'))
    code, stdout, stderr = _run("render", str(bad), "-o", str(out))
    assert code == 1 and stdout == ""
    assert stderr.startswith("error: delivery/a/dev: Jenkinsfile: U+FFFF cannot appear")
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml", "good.yaml", "out"]


def test_item_collision_is_refused(tmp_path: Path) -> None:
    """A service named like the seed job would overwrite it: refused, nothing written."""
    spec = tmp_path / "s.yaml"
    spec.write_text(
        "version: 1\nfolder: delivery\nlayout: multibranch\n"
        "defaults: {registry: r.example.com/x, registry_credentials: push}\n"
        "environments:\n  - {name: dev, branch: develop}\n"
        "services:\n  - {name: seed, repo: 'https://g.example.com/a.git', build: make}\n"
        "seed: {repo: 'https://g.example.com/config.git', jenkins_credentials: tok,\n"
        "       jenkins_url: 'https://ci.example.com/'}\n",
        encoding="utf-8",
    )
    code, _, stderr = _run("render", str(spec), "-o", str(tmp_path / "out"))
    assert code == 1
    assert stderr == (
        "error: delivery/seed: the seed job and service seed would be the same Jenkins item; "
        "rename one of them in the spec\n"
    )
    assert not (tmp_path / "out").exists()
