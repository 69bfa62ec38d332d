"""``render_into`` (what ``jenkinsgen render`` runs) writes exactly what ``write_tree`` writes
for a whole render, from one process or several, and fails as atomically."""

from __future__ import annotations

from pathlib import Path

import pytest

from jenkinsgen.errors import RenderError
from jenkinsgen.render import render_spec
from jenkinsgen.render.output import render_into, write_tree
from jenkinsgen.spec import load_spec, load_spec_text

GOLDEN = sorted((Path(__file__).resolve().parent.parent / "golden").glob("*/spec.yaml"))


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _fleet(services: int, build: str = "make") -> str:
    lines = [
        "version: 1",
        "folder: teams/fleet",
        "defaults: {registry: r.example.com/x, registry_credentials: push}",
        "environments:",
        "  - {name: dev, branch: develop}",
        "  - {name: prod, branch: main, deploy: manual, approvers: [ops]}",
        "services:",
    ]
    lines += [
        f"  - {{name: s{i:03d}, repo: 'https://g.example.com/s{i}.git', build: '{build} {i}',"
        f" trigger: {{webhook: 'https://d.example.com/{i}'}}}}"
        for i in range(services)
    ]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("path", GOLDEN, ids=lambda p: p.parent.name)
def test_same_tree_as_write_tree_on_golden_specs(path: Path, tmp_path: Path) -> None:
    spec = load_spec(path)
    expected = write_tree(render_spec(spec), tmp_path / "a")
    result = render_into(spec, tmp_path / "b")
    assert _files(tmp_path / "a") == _files(tmp_path / "b")
    assert result == expected


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_same_tree_from_several_processes(tmp_path: Path, workers: int) -> None:
    spec = load_spec_text(_fleet(30), "fleet.yaml")
    write_tree(render_spec(spec, workers=1), tmp_path / "a", workers=1)
    result = render_into(spec, tmp_path / "b", workers=workers)
    assert _files(tmp_path / "a") == _files(tmp_path / "b")
    assert result.files == len(_files(tmp_path / "b")) == 2 + 30 * (1 + 2 * 2) + 1
    assert result.kinds.count("pipeline") == 60 and result.kinds.count("folder") == 32


def test_stale_files_are_removed_and_reported(tmp_path: Path) -> None:
    out = tmp_path / "out"
    render_into(load_spec_text(_fleet(3), "a.yaml"), out)
    result = render_into(load_spec_text(_fleet(2), "b.yaml"), out)
    assert "jobs/teams/jobs/fleet/jobs/s002/config.xml" in result.removed
    assert not (out / "jobs/teams/jobs/fleet/jobs/s002").exists()


@pytest.mark.parametrize("workers", [1, 3])
def test_a_failing_job_in_any_process_leaves_out_as_it_was(tmp_path: Path, workers: int) -> None:
    out = tmp_path / "out"
    render_into(load_spec_text(_fleet(30), "a.yaml"), out, workers=workers)
    before = _files(out)
    text = _fleet(30).replace("build: 'make 29'", 'build: "make \\uffff"')
    spec = load_spec_text(text, "bad.yaml")
    with pytest.raises(RenderError, match="teams/fleet/s029/dev: Jenkinsfile: U\\+FFFF"):
        render_into(spec, out, workers=workers)
    assert _files(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
