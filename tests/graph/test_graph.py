"""``jenkinsgen graph``: the delivery flow drawn by the real Graphviz, read back and checked."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from lxml import etree

from jenkinsgen.cli.main import cli
from jenkinsgen.graph import delivery_dot, dot_str
from jenkinsgen.spec import load_spec
from jenkinsgen.spec.model import Spec

ROOT = Path(__file__).resolve().parent.parent.parent
EXAMPLE = ROOT / "examples" / "jenkinsgen.yaml"
SPECS = sorted([EXAMPLE, *(ROOT / "tests" / "golden").glob("*/spec.yaml")])
SVG = "{http://www.w3.org/2000/svg}"

pytestmark = pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz is not installed")


def _parsed(dot_file: Path) -> dict[str, Any]:
    """The graph as Graphviz itself reads it (``dot -Tjson``)."""
    done = subprocess.run(["dot", "-Tjson", str(dot_file)], capture_output=True, check=True)
    data: dict[str, Any] = json.loads(done.stdout)
    return data


def _labels(graph: dict[str, Any]) -> dict[str, str]:
    """node name → label, for nodes (objects with a label that are not clusters)."""
    return {
        o["name"]: o["label"].replace("\\n", "\n")
        for o in graph.get("objects", [])
        if "nodes" not in o and "label" in o
    }


def _edges(graph: dict[str, Any]) -> set[tuple[str, str]]:
    names = [o["name"] for o in graph.get("objects", [])]
    return {(names[e["tail"]], names[e["head"]]) for e in graph.get("edges", [])}


def _draw(tmp_path: Path, spec: Path, suffix: str) -> Path:
    out = tmp_path / f"flow{suffix}"
    result = CliRunner().invoke(cli, ["graph", str(spec), "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.mark.parametrize(
    "spec_path", SPECS, ids=lambda p: p.parent.name if p != EXAMPLE else "example"
)
def test_every_service_stage_environment_and_gate_is_drawn(spec_path: Path, tmp_path: Path) -> None:
    spec: Spec = load_spec(spec_path)
    graph = _parsed(_draw(tmp_path, spec_path, ".dot"))
    labels, edges = _labels(graph), _edges(graph)
    clusters = {
        o["label"] for o in graph["objects"] if "nodes" in o or o["name"].startswith("cluster")
    }
    for env in spec.environments:
        assert (f"branch:{env.branch}", f"env:{env.name}") in edges
        assert labels[f"env:{env.name}"].startswith(env.name + "\n")
    for service in spec.services:
        assert service.name in clusters
        name = service.name
        assert labels[f"{name}/build"] == "Build"
        previous = f"{name}/build"
        if service.test is not None:
            assert labels[f"{name}/test"] == "Test"
            assert (f"{name}/build", f"{name}/test") in edges
            previous = f"{name}/test"
        drawn_envs = {n.split("/")[-1] for n in labels if n.startswith(f"{name}/image/")}
        assert drawn_envs == {e.name for e in spec.environments_of(service)}
        for env in spec.environments_of(service):
            image = f"{name}/image/{env.name}"
            assert labels[image] == f"Image ({env.name})"
            assert (previous, image) in edges and (f"env:{env.name}", image) in edges
            gate, deploy = f"{name}/gate/{env.name}", f"{name}/deploy/{env.name}"
            if service.trigger is None:
                assert deploy not in labels
                continue
            assert labels[deploy] == f"Deploy trigger ({env.name})"
            if env.manual:
                assert set(env.approvers) <= set(labels[gate].split("\n")[0][10:].split(", "))
                assert (image, gate) in edges and (gate, deploy) in edges
            else:
                assert gate not in labels and (image, deploy) in edges
            targets = {head for tail, head in edges if tail == deploy}
            if env.release is None:
                assert targets == {f"webhook:{service.trigger.webhook}"}
                continue
            release = f"release:{env.name}"
            assert targets == {release}, "a deploy to a release environment lands in its release"
            assert labels[release].split("\n") == [
                f"release {env.name}: blue-green",
                f"HAProxy {env.release.proxy.listen}",
                f"confirm: {env.confirm}",
            ]
    if spec.seed is not None:
        assert (f"seed-repo:{spec.seed.repo}", f"seed:{spec.seed.name}") in edges


def _release_label(env: str, listen: str, confirm: str | None) -> str:
    return f"release {env}: blue-green\nHAProxy {listen}\nconfirm: {confirm}"


def test_release_targets_are_drawn() -> None:
    """The release golden spec: staging confirms by itself, prod by its approvers; each
    environment's release behind its HAProxy is drawn once, and only the services with a
    trigger deploy into it."""
    spec = load_spec(ROOT / "tests" / "golden" / "release" / "spec.yaml")
    dot = delivery_dot(spec)
    with_release = [e for e in spec.environments if e.release is not None]
    assert [(e.name, e.confirm) for e in with_release] == [
        ("staging", "auto"),
        ("prod", "manual"),
    ]
    for env, listen in zip(with_release, ("127.0.0.1:8470", "127.0.0.1:8480"), strict=True):
        node = dot_str(f"release:{env.name}")
        assert [line.strip() for line in dot.splitlines()].count(
            f"{node} [label={dot_str(_release_label(env.name, listen, env.confirm))},"
            ' shape="component", fillcolor="#e0f7fa"];'
        ) == 1
        assert f"{dot_str(f'orders/deploy/{env.name}')} -> {node}" in dot
        assert f"{dot_str(f'reports/deploy/{env.name}')}" not in dot  # reports has no trigger
    assert dot_str("release:dev") not in dot
    assert (
        dot_str("orders/deploy/dev")
        + " -> "
        + dot_str("webhook:https://deploy.example.com/hooks/orders")
        in dot
    )


def test_svg_of_the_example_names_every_part(tmp_path: Path) -> None:
    svg = etree.parse(str(_draw(tmp_path, EXAMPLE, ".svg")))
    assert svg.getroot().tag == f"{SVG}svg"
    text = {t.text for t in svg.iter(f"{SVG}text")}
    spec = load_spec(EXAMPLE)
    parts = [s.name for s in spec.services] + [e.branch for e in spec.environments]
    for part in [*parts, "Build", "Test"]:
        assert part in text
    assert "approval: release-managers" in text and "Deploy trigger (prod)" in text


def test_png_is_a_png(tmp_path: Path) -> None:
    data = _draw(tmp_path, EXAMPLE, ".png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000


def test_the_readme_picture_shows_the_example() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "docs/delivery-example.svg" in readme
    svg = etree.parse(str(ROOT / "docs" / "delivery-example.svg"))
    text = {t.text for t in svg.iter(f"{SVG}text")}
    spec = load_spec(EXAMPLE)
    assert {s.name for s in spec.services} <= text
    assert {f"Image ({e.name})" for e in spec.environments} <= text


def test_any_text_reaches_the_picture_as_written(tmp_path: Path) -> None:
    """Quotes, backslashes, braces, DOT keywords and escapes in values stay text."""
    rng = random.Random(20261130)
    alphabet = "ab\\\"{}[];=-><'#/*$|né日 \tN"
    values = []
    for _ in range(150):
        words = ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12))) for _ in range(2)]
        values.append("\n".join(w.strip() or "x" for w in words))
    values += ["\\N", "\\G", "\\l", '\\"];x [label="pwn', "subgraph", "}"]
    dot = (
        "digraph t {\n"
        + "".join(f"  {dot_str(f'n{i}')} [label={dot_str(v)}];\n" for i, v in enumerate(values))
        + "}\n"
    )
    done = subprocess.run(["dot", "-Tsvg"], input=dot.encode(), capture_output=True, check=True)
    svg = etree.fromstring(done.stdout)
    seen: dict[str, list[str]] = {}
    for group in svg.iter(f"{SVG}g"):
        title = group.find(f"{SVG}title")
        if title is not None and group.get("class") == "node":
            seen[str(title.text)] = [str(t.text or "") for t in group.iter(f"{SVG}text")]
    assert len(seen) == len(values)
    for i, value in enumerate(values):
        assert "\n".join(seen[f"n{i}"]) == value


def test_dot_text_is_deterministic() -> None:
    spec = load_spec(EXAMPLE)
    assert delivery_dot(spec) == delivery_dot(load_spec(EXAMPLE))


def test_bad_extension_is_one_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["graph", str(EXAMPLE), "-o", str(tmp_path / "x.gif")])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"error: {tmp_path / 'x.gif'}: unknown picture format 'gif': use .svg, .png or .dot"
    ]
    assert not (tmp_path / "x.gif").exists()


def test_without_graphviz_svg_is_one_error_and_dot_still_works(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    result = CliRunner().invoke(cli, ["graph", str(EXAMPLE), "-o", str(tmp_path / "x.svg")])
    assert result.exit_code == 1 and "Graphviz 'dot' not found" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "x.svg").exists()
    assert (
        CliRunner().invoke(cli, ["graph", str(EXAMPLE), "-o", str(tmp_path / "x.dot")]).exit_code
        == 0
    )


def test_a_bad_spec_is_located_and_nothing_is_written(tmp_path: Path) -> None:
    bad = ROOT / "tests" / "spec" / "bad" / "bad_enum.yaml"
    out = tmp_path / "x.svg"
    result = CliRunner().invoke(cli, ["graph", str(bad), "-o", str(out)])
    assert result.exit_code == 1 and "bad_enum.yaml:" in result.output
    assert not out.exists()


def test_an_existing_picture_is_replaced_whole(tmp_path: Path) -> None:
    out = tmp_path / "flow.svg"
    out.write_text("old picture")
    _draw(tmp_path, EXAMPLE, ".svg")
    assert out.read_text().startswith("<?xml") and list(tmp_path.iterdir()) == [out]
