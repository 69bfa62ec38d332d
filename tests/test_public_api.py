"""The public API is small and deliberate; rendering stays free of docker and python-jenkins."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import jenkinsgen

ROOT = Path(__file__).resolve().parent.parent


def test_public_api_does_not_grow_by_accident() -> None:
    assert sorted(jenkinsgen.__all__) == [
        "JenkinsgenError",
        "Spec",
        "SpecError",
        "SpecProblem",
        "__version__",
        "load_spec",
        "plan",
        "render_spec",
        "write_tree",
    ]
    for name in jenkinsgen.__all__:
        assert getattr(jenkinsgen, name) is not None


def test_library_renders_without_the_cli(tmp_path: Path) -> None:
    spec = jenkinsgen.load_spec(ROOT / "examples" / "jenkinsgen.yaml")
    rendered = jenkinsgen.render_spec(spec)
    assert len(jenkinsgen.plan(spec).jobs) == 8
    jenkinsgen.write_tree(rendered, tmp_path / "out")
    assert (
        tmp_path / "out" / "jobs" / "delivery" / "jobs" / "orders" / "jobs" / "prod" / "Jenkinsfile"
    ).is_file()


def test_rendering_imports_neither_docker_nor_python_jenkins() -> None:
    code = (
        "import sys, jenkinsgen\n"
        "from jenkinsgen.render import render_spec\n"
        "from jenkinsgen.render.output import write_tree\n"
        "render_spec(jenkinsgen.load_spec('examples/jenkinsgen.yaml'))\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('docker', 'jenkins'))\n"
        "print(bad)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert proc.stdout.strip() == "[]"
