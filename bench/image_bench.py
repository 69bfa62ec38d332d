"""Image benchmarks: cold vs warm controller builds, and ownership fix-up time on start.

Run from the checkout: ``.venv/bin/python bench/image_bench.py [--runs N] [--files N]``.
Needs the Docker engine; builds FROM the stand-in jenkins base of tests/dockerlib (no registry
image can be pulled here). Removes every image, container and directory it makes.

1. Builds: cold (no cache), warm with nothing changed, warm after a spec change (casc),
   warm after a plugin change; for each, which Dockerfile steps came from Docker's cache. The
   anchor is the cold build.
2. Start: a JENKINS_HOME with many root-owned files; time until the java stand-in runs on the
   first start (walk + chown), the second start (marker: no walk), a forced walk over a tree
   already owned (find only), and, as the anchor, what a naive entrypoint does on every start:
   ``chown -R`` of the whole tree.
3. Baked jobs (``--jobs OUT`` of a rendered fleet): the build after a job changed and the first
   start and restart on a home, with the jobs as ``jobs.tar`` installed by the start step,
   against the anchor of the same files as a directory in ``ref/jobs`` (upstream's copy when
   absent; what the image did before, which never updated an existing home).

``--part builds|starts|jobs`` runs one part only.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import contextlib

import docker

from jenkinsgen.casc.controller import ControllerConfig
from jenkinsgen.images import ImageInputs, build_image
from jenkinsgen.render import render_spec
from jenkinsgen.render.output import write_tree
from jenkinsgen.spec import load_spec_text
from tests.dockerlib import base
from tests.dockerlib.plugins import make_plugin

BUILT: set[str] = set()  # every image id a build made, removed at the end
STEP = re.compile(r"^Step (\d+)/\d+ : (.*)$")


def steps(log: str) -> list[tuple[str, bool]]:
    """(instruction, came from cache) for each Dockerfile step in a build log."""
    out: list[tuple[str, bool]] = []
    for line in log.splitlines():
        match = STEP.match(line.strip())
        if match:
            out.append((match.group(2)[:60], False))
        elif "Using cache" in line and out:
            out[-1] = (out[-1][0], True)
    return out


def timed_build(
    client: Any, inputs: ImageInputs, tag: str, standin: str, **kw: Any
) -> tuple[float, str]:
    t0 = time.perf_counter()
    result = build_image(client, inputs, tag, standin, **kw)
    elapsed = time.perf_counter() - t0
    BUILT.add(result.image_id)
    return elapsed, result.log


def bench_builds(client: Any, standin: str, runs: int, work: Path) -> list[str]:
    plugins = work / "plugins"
    for name in ("mailer", "junit", "configuration-as-code", "workflow-aggregator"):
        make_plugin(plugins, name, "1.0", payload=name * 20000)
    tag = f"jenkinsgen-bench/controller:{uuid.uuid4().hex[:8]}"
    base_inputs = ImageInputs("controller", plugins_dir=plugins)
    rows: list[tuple[str, list[float], str]] = []
    cold: list[float] = []
    try:
        for _ in range(runs):
            seconds, _log = timed_build(client, base_inputs, tag, standin, no_cache=True)
            cold.append(seconds)
        rows.append(("cold (no cache)", cold, "-"))
        warm: list[float] = []
        for _ in range(runs):
            seconds, log = timed_build(client, base_inputs, tag, standin)
            warm.append(seconds)
        rows.append(("warm, nothing changed", warm, _cached(log)))
        spec: list[float] = []
        spec_log = ""
        for i in range(runs):
            inputs = ImageInputs(
                "controller",
                plugins_dir=plugins,
                controller=ControllerConfig(admin_user=f"admin{i}{uuid.uuid4().hex[:4]}"),
            )
            seconds, spec_log = timed_build(client, inputs, tag, standin)
            spec.append(seconds)
        rows.append(("warm, spec changed (casc)", spec, _cached(spec_log)))
        plug: list[float] = []
        for i in range(runs):
            make_plugin(plugins, "mailer", f"1.{i + 1}", payload=uuid.uuid4().hex)
            seconds, plug_log = timed_build(client, base_inputs, tag, standin)
            plug.append(seconds)
        rows.append(("warm, one plugin changed", plug, _cached(plug_log)))
    finally:
        for image_id in [tag, *sorted(BUILT)]:
            with contextlib.suppress(docker.errors.ImageNotFound, docker.errors.APIError):
                client.images.remove(image_id, force=True)
    anchor = statistics.median(cold)
    lines = [
        "| build | median s | vs cold | steps from cache |",
        "| --- | ---: | ---: | --- |",
    ]
    for name, values, cached in rows:
        med = statistics.median(values)
        lines.append(f"| {name} | {med:.2f} | {med / anchor:.2f}x | {cached} |")
    lines.append("")
    lines.append("Steps of the spec-changed build (cache hit = layer reused):")
    lines.append("")
    for instruction, hit in steps(spec_log):
        label = "cache" if hit else "BUILT"
        if instruction.startswith(("ARG ", "FROM ")):
            label = "no layer"
        lines.append(f"- {label}: `{instruction}`")
    return lines


def _cached(log: str) -> str:
    parsed = steps(log)
    hits = [i + 1 for i, (_, hit) in enumerate(parsed) if hit]
    return f"{len(hits)}/{len(parsed)} (steps {','.join(map(str, hits))})"


def make_tree(root: Path, files: int) -> None:
    per_dir = 500
    for i in range(files):
        d = root / "jobs" / f"job{i // per_dir}" / "builds"
        if i % per_dir == 0:
            d.mkdir(parents=True, exist_ok=True)
        (d / f"log{i}").write_bytes(b"x")


def start_once(
    client: Any,
    image: str,
    home: Path,
    env: dict[str, str] | None = None,
    entrypoint: list[str] | None = None,
) -> float:
    started = home / "standin-java.started"
    if started.exists():
        started.unlink()
    t0 = time.perf_counter()
    container = client.containers.run(
        image,
        detach=True,
        network_mode="host",
        environment={"JENKINS_ADMIN_PASSWORD": "bench", **(env or {})},
        entrypoint=entrypoint,
        volumes={str(home): {"bind": "/var/jenkins_home", "mode": "rw"}},
    )
    try:
        while not (started.is_file() and started.stat().st_size > 0):
            container.reload()
            if container.status == "exited":
                raise RuntimeError(container.logs().decode(errors="replace"))
            time.sleep(0.02)
        return time.perf_counter() - t0
    finally:
        container.remove(force=True)


def bench_starts(client: Any, standin: str, runs: int, files: int, work: Path) -> list[str]:
    tag = f"jenkinsgen-bench/controller-start:{uuid.uuid4().hex[:8]}"
    build_image(client, ImageInputs("controller"), tag, standin)
    naive = [
        "/bin/sh",
        "-c",
        'chown -R 1000:1000 "$JENKINS_HOME" && exec setpriv --reuid=1000 --regid=1000 '
        "--init-groups tini -- /usr/local/bin/jenkins.sh",
    ]
    first: list[float] = []
    second: list[float] = []
    forced: list[float] = []
    anchor: list[float] = []
    try:
        for _ in range(runs):
            home = Path(tempfile.mkdtemp(prefix="jgbench-home-", dir=work))
            make_tree(home, files)
            first.append(start_once(client, tag, home))
            second.append(start_once(client, tag, home))
            forced.append(start_once(client, tag, home, {"JENKINSGEN_CHOWN": "always"}))
            anchor.append(start_once(client, tag, home, entrypoint=naive))
            shutil.rmtree(home)
    finally:
        client.images.remove(tag, force=True)
    a = statistics.median(anchor)
    lines = [
        f"| start with {files} files in JENKINS_HOME | median s | vs anchor |",
        "| --- | ---: | ---: |",
        f"| anchor: naive `chown -R` on every start (tree already owned) | {a:.2f} | 1.00x |",
    ]
    for name, values in (
        ("first start: root-owned tree, find + chown of every entry", first),
        ("second start: marker and top-level owner right, no walk", second),
        ("JENKINSGEN_CHOWN=always, tree already owned: find, no chown", forced),
    ):
        med = statistics.median(values)
        lines.append(f"| {name} | {med:.2f} | {med / a:.2f}x |")
    return lines


def fleet_spec(services: int) -> str:
    envs = "  - {name: dev, branch: develop}\n  - {name: staging, branch: main}\n"
    envs += "  - {name: prod, branch: prod}\n"
    lines = "".join(
        f"  - {{name: s{i}, repo: 'https://git.example.com/s{i}.git', build: make}}\n"
        for i in range(services)
    )
    return (
        "version: 1\nfolder: fleet\n"
        "defaults: {registry: registry.example.com/acme, registry_credentials: push}\n"
        f"environments:\n{envs}services:\n{lines}"
    )


def build_dir(client: Any, context: Path, tag: str) -> float:
    t0 = time.perf_counter()
    for chunk in client.api.build(
        path=str(context), tag=tag, network_mode="host", rm=True, forcerm=True, decode=True
    ):
        if "error" in chunk:
            raise RuntimeError(chunk["error"])
    BUILT.add(str(client.images.get(tag).id))
    return time.perf_counter() - t0


def bench_jobs(client: Any, standin: str, runs: int, services: int, work: Path) -> list[str]:
    out = work / "fleet-out"
    write_tree(render_spec(load_spec_text(fleet_spec(services))), out)
    count = sum(1 for p in (out / "jobs").rglob("*") if p.is_file())
    bare = f"jenkinsgen-bench/controller-nojobs:{uuid.uuid4().hex[:8]}"
    ours = f"jenkinsgen-bench/controller-jobs:{uuid.uuid4().hex[:8]}"
    anchor = f"jenkinsgen-bench/controller-refjobs:{uuid.uuid4().hex[:8]}"
    #: (what, anchor's times, ours)
    rows: dict[str, tuple[list[float], list[float]]] = {
        "build after a job changed": ([], []),
        "first start, empty home": ([], []),
        "restart, nothing changed": ([], []),
    }
    build_row, first_row, restart_row = rows.values()
    try:
        timed_build(client, ImageInputs("controller"), bare, standin)
        anchor_ctx = work / "anchor-context"
        shutil.copytree(out / "jobs", anchor_ctx / "jobs")
        (anchor_ctx / "Dockerfile").write_text(
            f"FROM {bare}\nCOPY jobs/ /usr/share/jenkins/ref/jobs/\n"
        )
        folder = out / "jobs" / "fleet" / "config.xml"
        original = folder.read_text()
        for run in range(runs):
            # a changed job each run, so the jobs layers are built, not taken from the cache
            text = f"{original}<!-- run {run} {uuid.uuid4().hex} -->"
            folder.write_text(text)
            (anchor_ctx / "jobs" / "fleet" / "config.xml").write_text(text)
            build_row[0].append(build_dir(client, anchor_ctx, anchor))
            build_row[1].append(
                timed_build(client, ImageInputs("controller", jobs_dir=out), ours, standin)[0]
            )
            for which, image in ((0, anchor), (1, ours)):
                home = Path(tempfile.mkdtemp(prefix="jgbench-home-", dir=work))
                first_row[which].append(start_once(client, image, home))
                restart_row[which].append(start_once(client, image, home))
                shutil.rmtree(home)
    finally:
        for tag in (bare, ours, anchor):
            with contextlib.suppress(docker.errors.ImageNotFound, docker.errors.APIError):
                client.images.remove(tag, force=True)
    lines = [
        f"| {services} services, 3 environments, {count} job files | median s | vs anchor |",
        "| --- | ---: | ---: |",
    ]
    for what, (anchor_times, ours_times) in rows.items():
        a, med = statistics.median(anchor_times), statistics.median(ours_times)
        lines.append(f"| {what}: anchor, the files in `ref/jobs` | {a:.2f} | 1.00x |")
        lines.append(f"| {what}: `jobs.tar` + start step | {med:.2f} | {med / a:.2f}x |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--files", type=int, default=20000)
    parser.add_argument("--services", type=int, default=5000, help="fleet size for part 3")
    parser.add_argument("--part", choices=["builds", "starts", "jobs"])
    args = parser.parse_args()
    client = docker.from_env()
    work = Path(tempfile.mkdtemp(prefix="jgbench-", dir="/var/tmp"))
    try:
        standin = base.standin_jenkins(client)
        info = client.version()
        print(
            f"python {platform.python_version()}, docker {info['Version']}, "
            f"storage {client.info()['Driver']}, {os.cpu_count()} CPUs, {args.runs} runs, medians"
        )
        print()
        if args.part in (None, "builds"):
            for line in bench_builds(client, standin, args.runs, work):
                print(line)
            print()
        if args.part in (None, "starts"):
            for line in bench_starts(client, standin, args.runs, args.files, work):
                print(line)
            print()
        if args.part in (None, "jobs"):
            for line in bench_jobs(client, standin, args.runs, args.services, work):
                print(line)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        client.close()


if __name__ == "__main__":
    main()
