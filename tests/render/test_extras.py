"""casc/agents.yaml: written by both render paths, checked by --check, removed when stale."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from jenkinsgen import load_spec, render_spec, write_tree
from jenkinsgen.render.output import check_tree, render_into

ROOT = Path(__file__).resolve().parent.parent.parent
SPEC = ROOT / "tests" / "golden" / "agents-clouds" / "spec.yaml"


def _tree(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*") if p.is_file()}


def test_both_render_paths_write_the_clouds_casc(tmp_path: Path) -> None:
    spec = load_spec(SPEC)
    write_tree(render_spec(spec), tmp_path / "a")
    render_into(spec, tmp_path / "b")
    assert _tree(tmp_path / "a") == _tree(tmp_path / "b")
    casc = yaml.safe_load((tmp_path / "a" / "casc" / "agents.yaml").read_text(encoding="utf-8"))
    kinds = sorted(next(iter(cloud)) for cloud in casc["jenkins"]["clouds"])
    assert kinds == ["docker", "docker", "kubernetes"]
    assert check_tree(render_spec(spec), tmp_path / "b").current


def test_dropping_the_agents_section_removes_the_casc_file(tmp_path: Path) -> None:
    out = tmp_path / "out"
    render_into(load_spec(SPEC), out)
    without = tmp_path / "spec.yaml"
    text = SPEC.read_text(encoding="utf-8")
    without.write_text(text[: text.index("agents:")], encoding="utf-8")
    stale = subprocess.run(
        [
            sys.executable,
            "-m",
            "jenkinsgen.cli.main",
            "render",
            str(without),
            "-o",
            str(out),
            "--check",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert stale.returncode == 1
    assert "casc/agents.yaml" in stale.stdout
    render_into(load_spec(without), out)
    assert not (out / "casc").exists()
    assert (out / "jobs" / "platform" / "config.xml").is_file()


def test_a_spec_without_agents_has_no_casc(tmp_path: Path) -> None:
    rendered = render_spec(load_spec(ROOT / "examples" / "jenkinsgen.yaml"))
    assert rendered.extra_files == ()
