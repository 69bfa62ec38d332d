"""The delivery flow of a spec as a Graphviz graph: what ``jenkinsgen graph`` draws.

The picture shows, left to right: the Git workflow (each branch pattern and the environment it
deploys to), then per service its stages (Build, Test, and per environment Image and Deploy
trigger), the manual gates with their approvers and approval timeout, and where each deploy
lands (the release target of the environment, or the service's webhook). The seed job, when
the spec has one, is drawn with the config repository that triggers it.

:func:`delivery_dot` is pure (spec → DOT text, deterministic); :func:`render_graph` turns DOT
into SVG or PNG with Graphviz' ``dot`` program. Every spec value reaches DOT through
:func:`dot_str`, so no value can end a string or open a new statement.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from jenkinsgen.errors import JenkinsgenError
from jenkinsgen.spec.model import Environment, Service, Spec

__all__ = ["FORMATS", "GraphError", "delivery_dot", "dot_str", "render_graph", "write_graph"]

Format = Literal["dot", "svg", "png"]
FORMATS: tuple[Format, ...] = ("dot", "svg", "png")


class GraphError(JenkinsgenError):
    """The graph could not be drawn or written."""


def dot_str(value: str) -> str:
    """A double-quoted DOT string holding ``value`` exactly as text.

    Backslashes are doubled (DOT labels read ``\\n``, ``\\l``, ``\\N``... as escapes), quotes are
    escaped, and line breaks become DOT's centred line break.
    """
    text = value.replace("\\", "\\\\").replace('"', '\\"')
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")
    return f'"{text}"'


def _attrs(**attrs: str) -> str:
    return "[" + ", ".join(f"{key}={dot_str(value)}" for key, value in attrs.items()) + "]"


def _node(node_id: str, label: str, **attrs: str) -> str:
    return f"{dot_str(node_id)} {_attrs(label=label, **attrs)};"


def _edge(a: str, b: str, **attrs: str) -> str:
    tail = f" {_attrs(**attrs)}" if attrs else ""
    return f"{dot_str(a)} -> {dot_str(b)}{tail};"


def _env_id(env: Environment) -> str:
    return f"env:{env.name}"


def _gate_label(env: Environment) -> str:
    return (
        f"approval: {', '.join(env.approvers)}\n"
        f"waits {env.approval_timeout_minutes} min, no executor held"
    )


def _git_workflow(spec: Spec) -> list[str]:
    lines = ['  subgraph "cluster_git" {', f"    label={dot_str('Git workflow')};"]
    lines.append('    style="rounded,dashed"; color="#888888";')
    for env in spec.environments:
        branch_id = f"branch:{env.branch}"
        lines.append("    " + _node(branch_id, env.branch, shape="ellipse", fillcolor="#eef4ff"))
        mode = "manual (approval)" if env.manual else "auto"
        lines.append(
            "    " + _node(_env_id(env), f"{env.name}\n{mode}", shape="box3d", fillcolor="#fff7e0")
        )
        lines.append("    " + _edge(branch_id, _env_id(env), label="deploys to"))
    lines.append("  }")
    return lines


def _release_target(env: Environment) -> tuple[str, str] | None:
    """(node id, label) of where deploys to ``env`` land: its blue-green release behind
    HAProxy, when the environment has a release block."""
    release = env.release
    if release is None:
        return None
    label = "\n".join(
        (
            f"release {env.name}: blue-green",
            f"HAProxy {release.proxy.listen}",
            f"confirm: {env.confirm}",
        )
    )
    return f"release:{env.name}", label


def _service(spec: Spec, service: Service, index: int) -> tuple[list[str], list[str]]:
    """(the service's cluster, edges that leave it)."""
    name = service.name
    inner = [f'  subgraph "cluster_service_{index}" {{', f"    label={dot_str(name)};"]
    inner.append('    style="rounded"; color="#336699";')
    outer: list[str] = []
    build = f"{name}/build"
    inner.append("    " + _node(build, "Build", fillcolor="#e8f5e9"))
    last = build
    if service.test is not None:
        test = f"{name}/test"
        inner.append("    " + _node(test, "Test", fillcolor="#e8f5e9"))
        inner.append("    " + _edge(build, test))
        last = test
    for env in spec.environments_of(service):
        image = f"{name}/image/{env.name}"
        inner.append("    " + _node(image, f"Image ({env.name})", fillcolor="#e3f2fd"))
        inner.append("    " + _edge(last, image, label=env.branch))
        outer.append("  " + _edge(_env_id(env), image, style="dashed", color="#999999"))
        if service.trigger is None:
            continue
        step = image
        if env.manual:
            gate = f"{name}/gate/{env.name}"
            inner.append(
                "    " + _node(gate, _gate_label(env), shape="diamond", fillcolor="#ffebee")
            )
            inner.append("    " + _edge(image, gate))
            step = gate
        deploy = f"{name}/deploy/{env.name}"
        inner.append("    " + _node(deploy, f"Deploy trigger ({env.name})", fillcolor="#fff3e0"))
        inner.append("    " + _edge(step, deploy))
        target = _release_target(env)
        if target is not None:
            outer.append("  " + _edge(deploy, target[0], label="POST image"))
        else:
            webhook = f"webhook:{service.trigger.webhook}"
            outer.append("  " + _node(webhook, f"webhook\n{service.trigger.webhook}", shape="note"))
            outer.append("  " + _edge(deploy, webhook, label="POST image"))
    inner.append("  }")
    return inner, outer


def _seed(spec: Spec) -> list[str]:
    if spec.seed is None:
        return []
    seed = spec.seed
    repo = f"seed-repo:{seed.repo}"
    job = f"seed:{seed.name}"
    return [
        "  "
        + _node(repo, f"config repo\n{seed.repo}\n{seed.branch}: {seed.spec}", shape="cylinder"),
        "  " + _node(job, f"seed job {seed.name}\njenkinsgen apply --prune", fillcolor="#f3e5f5"),
        "  " + _edge(repo, job, label="push"),
    ]


def delivery_dot(spec: Spec) -> str:
    """The DOT text of ``spec``'s delivery flow (deterministic)."""
    lines = [
        "digraph delivery {",
        f"  graph [rankdir=LR, labelloc=t, fontname=Helvetica, label={dot_str(_title(spec))}];",
        '  node [shape=box, style="rounded,filled", fillcolor="#ffffff", fontname=Helvetica];',
        "  edge [fontname=Helvetica, fontsize=10];",
    ]
    lines += _git_workflow(spec)
    targets: dict[str, str] = {}
    for env in spec.environments:
        target = _release_target(env)
        if target is not None:
            targets[target[0]] = target[1]
    lines += [
        "  " + _node(node, label, shape="component", fillcolor="#e0f7fa")
        for node, label in targets.items()
    ]
    edges: list[str] = []
    for index, service in enumerate(spec.services):
        cluster, outer = _service(spec, service, index)
        lines += cluster
        edges += outer
    lines += _unique(edges)
    lines += _seed(spec)
    lines.append("}")
    return "\n".join(lines) + "\n"


def _title(spec: Spec) -> str:
    return f"{spec.folder}: delivery flow ({spec.layout}, {len(spec.services)} services)"


def _unique(lines: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(lines))


def format_of(path: str | Path) -> Format:
    """The output format named by ``path``'s extension."""
    suffix = Path(path).suffix.lower().lstrip(".")
    for fmt in FORMATS:
        if suffix == fmt:
            return fmt
    raise GraphError(f"{path}: unknown picture format {suffix!r}: use .svg, .png or .dot")


def render_graph(dot_text: str, fmt: Format) -> bytes:
    """``dot_text`` drawn by Graphviz as ``fmt`` (DOT text is returned as it is)."""
    if fmt == "dot":
        return dot_text.encode("utf-8")
    program = shutil.which("dot")
    if program is None:
        raise GraphError(
            "Graphviz 'dot' not found: install graphviz (e.g. apt-get install graphviz), "
            "or write a .dot file"
        )
    try:
        done = subprocess.run(
            [program, f"-T{fmt}"],
            input=dot_text.encode("utf-8"),
            capture_output=True,
            check=False,
            timeout=120,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise GraphError(f"Graphviz 'dot' failed: {exc}") from None
    if done.returncode != 0:
        first = done.stderr.decode(errors="replace").strip().splitlines()[:1]
        raise GraphError(f"Graphviz 'dot' failed: {first[0] if first else done.returncode}")
    return done.stdout


def write_graph(spec: Spec, path: str | Path) -> Format:
    """Draw ``spec``'s delivery flow into ``path`` (format from its extension), atomically."""
    from jenkinsgen.atomic import write_atomic

    fmt = format_of(path)
    data = render_graph(delivery_dot(spec), fmt)
    try:
        write_atomic(path, data)
    except OSError as exc:
        raise GraphError(f"{path}: cannot write: {exc.strerror or exc}") from None
    return fmt
