"""The sync and jenkins packages export a small, deliberate API."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import jenkinsgen.jenkins
import jenkinsgen.sync


def test_sync_api() -> None:
    assert sorted(jenkinsgen.sync.__all__) == [
        "ApplyReport",
        "Change",
        "ChangeSet",
        "Outcome",
        "apply_changes",
        "canonical_xml",
        "find_drift",
        "plan_changes",
        "same_config",
    ]


def test_jenkins_api() -> None:
    assert sorted(jenkinsgen.jenkins.__all__) == [
        "Credentials",
        "JenkinsClient",
        "JenkinsRequestError",
        "LiveItem",
        "RetryPolicy",
        "load_credentials",
    ]
    for name in jenkinsgen.jenkins.__all__:
        assert getattr(jenkinsgen.jenkins, name).__doc__


ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "jenkinsgen"
CLIENT = PACKAGE / "jenkins" / "client.py"
#: python-jenkins' private members, and the client's own, that once leaked out of the client.
PRIVATE = {"_request", "_response_handler", "_session", "_maybe_add_auth", "_pj", "_call"}


def _private_uses(path: Path) -> list[tuple[str, str, int]]:
    """(object, attribute, line) of every ``x._name`` access in ``path`` with a PRIVATE name,
    and (module, "import", line) of every python-jenkins import."""
    found: list[tuple[str, str, int]] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Attribute) and node.attr in PRIVATE:
            found.append((ast.unparse(node.value), node.attr, node.lineno))
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            names.append(getattr(node, "module", None) or "")
            if any(n.split(".")[0] == "jenkins" for n in names):
                found.append(("jenkins", "import", node.lineno))
    return found


def test_python_jenkins_stays_behind_the_client() -> None:
    """Sync and agents use the client's public methods; python-jenkins is imported by the
    client alone, and its private members are touched in one place (the session mount)."""
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == CLIENT:
            continue
        others = [u for u in _private_uses(path) if u[0] != "self"]  # a class's own are fine
        assert others == [], path.relative_to(ROOT)
    uses = _private_uses(CLIENT)
    assert [u for u in uses if u[0] not in ("self", "self._pj", "jenkins")] == []
    pj_privates = [u for u in uses if u[0] == "self._pj"]
    assert [(obj, attr) for obj, attr, _line in pj_privates] == [("self._pj", "_session")]


def test_python_jenkins_major_version_is_pinned() -> None:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    [pin] = [d for d in deps if d.startswith("python-jenkins")]
    assert ">=1.8" in pin and "<2" in pin
