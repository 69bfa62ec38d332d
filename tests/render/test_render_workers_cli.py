"""``jenkinsgen render --workers``: the command, not the library, decides how many processes
render; ``$JENKINSGEN_WORKERS`` stands in for the option."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from jenkinsgen.cli.main import cli
from jenkinsgen.cli.render_cmd import MAX_DEFAULT_WORKERS, PARALLEL_MIN_JOBS, default_workers


def _spec(tmp_path: Path, services: int) -> str:
    lines = [
        "version: 1",
        "folder: fleet",
        "defaults: {registry: r.example.com/x, registry_credentials: push, push_credentials: hook}",
        "environments:",
        "  - {name: dev, branch: develop}",
        "  - {name: staging, branch: release/*}",
        "  - {name: prod, branch: main, deploy: manual, approvers: [ops]}",
        "services:",
    ]
    lines += [
        f"  - {{name: s{i:03d}, repo: 'https://g.example.com/s{i}.git', build: 'make {i}'}}"
        for i in range(services)
    ]
    path = tmp_path / f"fleet{services}.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _render(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["render", *args], env=env)
    return result.exit_code, result.output


def test_workers_option_renders_the_same_tree_from_several_processes(
    tmp_path: Path, forks: list[int]
) -> None:
    spec = _spec(tmp_path, 20)
    assert _render(spec, "-o", str(tmp_path / "one"), "--workers", "1")[0] == 0
    assert forks == []
    code, output = _render(spec, "-o", str(tmp_path / "three"), "--workers", "3")
    assert (code, output) == (
        0,
        f"rendered 21 folders, 60 pipeline jobs into {tmp_path / 'three'} (142 files)\n",
    )
    assert len(forks) == 2  # this process is the third
    assert _files(tmp_path / "one") == _files(tmp_path / "three")
    code, output = _render(spec, "-o", str(tmp_path / "three"), "--check", "--workers", "2")
    assert code == 0 and "up to date" in output
    assert len(forks) == 3


def test_small_specs_render_in_one_process_by_default(
    tmp_path: Path, forks: list[int], many_cpus: None
) -> None:
    assert _render(_spec(tmp_path, 20), "-o", str(tmp_path / "out"))[0] == 0
    assert forks == []


def test_large_specs_use_the_cpus_by_default(
    tmp_path: Path, forks: list[int], many_cpus: None
) -> None:
    services = -(-PARALLEL_MIN_JOBS // 3)
    assert _render(_spec(tmp_path, services), "-o", str(tmp_path / "out"))[0] == 0
    assert len(forks) == default_workers(3 * services) - 1 > 0


def test_environment_variable_stands_in_for_the_option(
    tmp_path: Path, forks: list[int], many_cpus: None
) -> None:
    spec = _spec(tmp_path, -(-PARALLEL_MIN_JOBS // 3))
    code, _ = _render(spec, "-o", str(tmp_path / "out"), env={"JENKINSGEN_WORKERS": "1"})
    assert code == 0 and forks == []
    code, output = _render(spec, "-o", str(tmp_path / "bad"), env={"JENKINSGEN_WORKERS": "many"})
    assert code == 2 and "Invalid value for '--workers'" in output
    assert not (tmp_path / "bad").exists()


@pytest.mark.parametrize("value", ["0", "-2", "two"])
def test_bad_workers_value_is_a_usage_error(tmp_path: Path, value: str) -> None:
    code, output = _render(_spec(tmp_path, 1), "-o", str(tmp_path / "out"), "--workers", value)
    assert code == 2 and "Invalid value for '--workers'" in output
    assert not (tmp_path / "out").exists()


def test_default_workers_policy(many_cpus: None, monkeypatch: pytest.MonkeyPatch) -> None:
    assert default_workers(10) == 1
    assert default_workers(PARALLEL_MIN_JOBS - 1) == 1
    assert default_workers(PARALLEL_MIN_JOBS) == PARALLEL_MIN_JOBS // 500
    assert default_workers(1_000_000) == MAX_DEFAULT_WORKERS
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: {0, 1})
    assert default_workers(1_000_000) == 2
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: {0})
    assert default_workers(1_000_000) == 1
