"""Golden trees: tests/golden/<case>/spec.yaml renders byte for byte to <case>/expected/.

Cases are discovered automatically; ``pytest --update-golden`` rewrites the expected trees
(review the diff before committing). Every golden Jenkinsfile must parse with Groovy 2.4, every
config.xml must be well-formed, embed its Jenkinsfile verbatim and carry a correct digest.
"""

from __future__ import annotations

import difflib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from jenkinsgen.render import render_spec
from jenkinsgen.render.digest import compute_digest, parse_marker
from jenkinsgen.render.output import MANIFEST, write_tree
from jenkinsgen.render.xml_text import element_text, parse_config_xml
from jenkinsgen.spec import load_spec
from tests.render.groovy_ast import GroovyParser

GOLDEN = Path(__file__).resolve().parent.parent / "golden"
CASES = sorted(p.parent.name for p in GOLDEN.glob("*/spec.yaml"))
DEFAULT_JAVA_HOME = "/usr/lib/jvm/java-17-openjdk-amd64"


def _tree(root: Path) -> dict[str, bytes]:
    files = {}
    for dirpath, _dirs, names in os.walk(root):
        for name in names:
            path = Path(dirpath, name)
            files[path.relative_to(root).as_posix()] = path.read_bytes()
    return files


def _render_case(case: str, out: Path) -> None:
    # A relative spec path, as a user in the config repo would run it: nothing machine-specific.
    cwd = os.getcwd()
    os.chdir(GOLDEN / case)
    try:
        write_tree(render_spec(load_spec("spec.yaml")), out)
    finally:
        os.chdir(cwd)


def test_cases_are_discovered() -> None:
    assert {"fleet", "multibranch", "nested-folder", "env-subset", "seed"} <= set(CASES)


@pytest.mark.parametrize("case", CASES)
def test_golden_tree(case: str, tmp_path: Path, update_golden: bool) -> None:
    expected_dir = GOLDEN / case / "expected"
    if update_golden:
        _render_case(case, expected_dir)
    out = tmp_path / "out"
    _render_case(case, out)
    actual, expected = _tree(out), _tree(expected_dir)
    assert expected, f"{expected_dir} is empty: run pytest --update-golden"
    missing = sorted(expected.keys() - actual.keys())
    extra = sorted(actual.keys() - expected.keys())
    changed = sorted(k for k in actual.keys() & expected.keys() if actual[k] != expected[k])
    if changed:
        first = changed[0]
        diff = "".join(
            difflib.unified_diff(
                expected[first].decode("utf-8", "replace").splitlines(keepends=True),
                actual[first].decode("utf-8", "replace").splitlines(keepends=True),
                f"expected/{first}",
                f"rendered/{first}",
            )
        )
        pytest.fail(f"{case}: {len(changed)} files differ, first:\n{diff}")
    assert not missing and not extra, f"{case}: missing {missing}, unexpected {extra}"


@pytest.mark.parametrize("case", CASES)
def test_golden_contents_are_valid(case: str, groovy: GroovyParser) -> None:
    files = _tree(GOLDEN / case / "expected")
    assert MANIFEST in files
    configs = [rel for rel in files if rel.endswith("config.xml")]
    assert configs
    for rel in configs:
        root = parse_config_xml(files[rel])
        description = root.find("description")
        assert description is not None, rel
        marker = parse_marker(element_text(description))
        assert marker is not None, rel
        jenkinsfile_rel = rel.replace("config.xml", "Jenkinsfile")
        jenkinsfile = files.get(jenkinsfile_rel)
        text = jenkinsfile.decode("utf-8") if jenkinsfile is not None else None
        assert marker[1] == compute_digest(files[rel], text), rel
        script = root.find("definition/script")
        if script is not None:
            assert text is not None and element_text(script) == text, rel
    for rel, data in files.items():
        if rel.endswith("Jenkinsfile"):
            summary = groovy.parse(data.decode("utf-8"))
            assert summary.ok, f"{case}/{rel}: {summary.errors}"
            assert "pipeline" in summary.call_names(), rel


def test_jenkins_xml_parser_reads_every_golden_config(tmp_path: Path) -> None:
    """The JDK StAX parser (what Jenkins reads config.xml with) accepts every golden file and
    sees each pipeline's script exactly as the Jenkinsfile beside it."""
    groovy = shutil.which("groovy")
    if groovy is None:
        pytest.fail("groovy not found on PATH (Debian package 'groovy'; .ci/run installs it)")
    configs = sorted(str(p) for p in GOLDEN.glob("*/expected/**/config.xml"))
    result = tmp_path / "read.json"
    env = {**os.environ, "JAVA_HOME": os.environ.get("JAVA_HOME", DEFAULT_JAVA_HOME)}
    proc = subprocess.run(
        [groovy, str(Path(__file__).with_name("stax_read.groovy")), str(result), *configs],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    read = json.loads(result.read_text(encoding="utf-8"))
    assert sorted(read) == configs
    scripts = 0
    for path, texts in read.items():
        jenkinsfile = Path(path).with_name("Jenkinsfile")
        script = texts.get("flow-definition/definition/script")
        if script is not None:
            assert script == jenkinsfile.read_text(encoding="utf-8"), path
            scripts += 1
        assert any(k.endswith("/description") for k in texts), path
    assert scripts >= 8
