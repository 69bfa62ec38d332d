"""Every bad-input case: message, FILE:LINE:COL, exit 1, no traceback; good specs load."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from jenkinsgen.errors import SpecError
from jenkinsgen.spec import load_spec, load_spec_text

HERE = Path(__file__).parent
BAD = sorted((HERE / "bad").glob("*.yaml"))
ROOT = HERE.parent.parent
GOOD = sorted([*ROOT.glob("examples/*.yaml"), *ROOT.glob("tests/golden/*/spec.yaml")])


def expected_problems(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.removeprefix("# expect: ") for line in lines if line.startswith("# expect: ")]


def test_bad_cases_are_discovered() -> None:
    assert len(BAD) >= 20


@pytest.mark.parametrize("path", BAD, ids=lambda p: p.stem)
def test_bad_spec_reports_every_problem_located(path: Path) -> None:
    with pytest.raises(SpecError) as info:
        load_spec(path)
    got = [str(p).removeprefix(f"{path}:") for p in info.value.problems]
    assert got == expected_problems(path)


@pytest.mark.parametrize("path", BAD, ids=lambda p: p.stem)
def test_cli_validate_bad_spec_exits_1_without_traceback(path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "jenkinsgen.cli.main", "validate", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""
    located = [line for line in proc.stderr.splitlines() if line.startswith(f"{path}:")]
    assert [line.removeprefix(f"{path}:") for line in located] == expected_problems(path)
    assert "\x1b[" not in proc.stderr  # no colour when stderr is not a terminal


@pytest.mark.parametrize("path", GOOD, ids=lambda p: str(p.relative_to(ROOT)))
def test_good_spec_loads(path: Path) -> None:
    spec = load_spec(path)
    assert spec.services
    assert spec.source == str(path)


def test_validate_reports_problems_of_all_files_in_one_run(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "jenkinsgen.cli.main",
            "validate",
            str(HERE / "bad" / "bad_enum.yaml"),
            str(ROOT / "examples" / "jenkinsgen.yaml"),
            str(HERE / "bad" / "duplicate_service.yaml"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1
    assert "bad_enum.yaml:" in proc.stderr and "duplicate_service.yaml:" in proc.stderr
    assert "examples/jenkinsgen.yaml: valid (3 services, 3 environments, 8 jobs" in proc.stdout


def test_missing_file_is_a_located_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(SpecError) as info:
        load_spec(missing)
    assert str(info.value).startswith(f"{missing}:1:1: cannot read spec")


def test_invalid_utf8_names_the_line() -> None:
    with pytest.raises(SpecError) as info:
        load_spec_text(b"version: 1\nfolder: \xff\n", "x.yaml")
    assert str(info.value) == "x.yaml:2:1: spec is not valid UTF-8"


def test_alias_bomb_is_not_expanded() -> None:
    """10**9 leaves behind aliases: the validator stops at the first wrong shape per item."""
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join(f'*a{i - 1}' for _ in range(10))}]" for i in range(1, 9)]
    text = "\n".join(lines) + "\nversion: 1\nfolder: x\nservices: *a8\n"
    with pytest.raises(SpecError) as info:
        load_spec_text(text, "bomb.yaml")
    assert len(info.value.problems) < 40
    assert "services[9]: expected a mapping (service), got a list" in str(info.value)


def test_deep_nesting_is_refused() -> None:
    text = "version: 1\nfolder: x\nservices:\n  - name: a\n    image:\n      build_args: " + (
        "[" * 200 + "]" * 200
    )
    with pytest.raises(SpecError) as info:
        load_spec_text(text, "deep.yaml")
    assert "deep.yaml:" in str(info.value)
    text = "version: 1\nfolder: " + "[" * 50_000 + "]" * 50_000
    with pytest.raises(SpecError) as info:
        load_spec_text(text, "deep.yaml")
    assert "too deep" in str(info.value)


def test_recursive_alias_is_refused() -> None:
    text = "version: 1\nfolder: x\nservices: &s [*s]\n"
    with pytest.raises(SpecError) as info:
        load_spec_text(text, "loop.yaml")
    assert "loop.yaml:" in str(info.value)


def test_string_form_of_test_and_default_image() -> None:
    spec = load_spec_text(
        "version: 1\nfolder: a/b\ndefaults: {registry: r.example.com/x, registry_credentials: c}\n"
        "environments: [{name: dev, branch: develop}]\n"
        "services: [{name: Api, repo: 'git@git.example.com:x/api.git', build: make,"
        " test: make t}]\n"
    )
    service = spec.services[0]
    assert service.test is not None and service.test.command == "make t"
    assert service.test.junit is None
    assert service.image.name == "api"
    assert spec.environments_of(service) == spec.environments
    assert spec.layout == "per-environment"
    assert spec.defaults.agent == "docker"


def test_errors_are_coloured_on_a_terminal() -> None:
    import os
    import pty

    controller, terminal = pty.openpty()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "jenkinsgen.cli.main", "validate", str(BAD[0])],
            stdin=subprocess.DEVNULL,
            stdout=terminal,
            stderr=terminal,
            check=False,
            env={**os.environ, "TERM": "xterm"},
        )
        os.close(terminal)
        chunks = []
        while True:
            try:
                data = os.read(controller, 4096)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
    finally:
        os.close(controller)
    output = b"".join(chunks).decode()
    assert proc.returncode == 1
    assert "\x1b[" in output
    assert str(BAD[0]) in output


def test_validate_counts_every_job_render_writes_the_seed_job_included() -> None:
    case = ROOT / "tests" / "golden" / "seed"
    spec = case / "spec.yaml"
    rendered = sum(1 for _ in (case / "expected").rglob("Jenkinsfile"))
    proc = subprocess.run(
        [sys.executable, "-m", "jenkinsgen.cli.main", "validate", str(spec)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert f" {rendered} jobs, " in proc.stdout
