"""Agents benchmark: time to provision 1, 4 and 16 agents, sequential versus parallel.

Run from the checkout: ``.venv/bin/python bench/agents_bench.py [--runs N]``.
Needs the Docker engine. The controller is the Jenkins REST double of the tests (in process,
on 127.0.0.1); the agents never connect (that needs a real controller), so the time measured
is ``agents up`` until every node exists and every container is running: inventory, node
creation, secret from the JNLP file, container create + secret file copy + start of the
agent image (built FROM the stand-in inbound-agent base of tests/dockerlib with
jenkinsgen.images). Every run is torn
down with ``agents down --all``; the image and all containers are removed at the end.

The anchor is the floor any provisioner pays on this engine: ``docker run -d`` of N
containers of the same image with the same settings, sequentially, no Jenkins at all.
"""

from __future__ import annotations

import argparse
import contextlib
import platform
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import docker

from jenkinsgen.agents import AgentSettings, Engine, UpOptions, controller_id, down, parse_host, up
from jenkinsgen.images import ImageInputs, build_image
from jenkinsgen.jenkins.client import JenkinsClient
from tests.dockerlib import base
from tests.jenkins_double.server import JenkinsDouble

SIZES = (1, 4, 16)
MODES = (("sequential", 1), ("parallel x4", 4), ("parallel x8", 8))


def anchor(client: Any, image: str, n: int) -> float:
    """Seconds to ``docker run -d`` n containers (host network, socket mounted), then removed."""
    made = []
    try:
        start = time.perf_counter()
        for _ in range(n):
            made.append(
                client.containers.run(
                    image,
                    detach=True,
                    network_mode="host",
                    environment={
                        "JENKINS_URL": "http://127.0.0.1:9",
                        "JENKINS_SECRET": "x" * 64,
                        "JENKINS_AGENT_NAME": "bench",
                    },
                    volumes={
                        "/var/run/docker.sock": {"bind": "/var/run/docker.sock", "mode": "rw"}
                    },
                    restart_policy={"Name": "unless-stopped"},
                )
            )
        return time.perf_counter() - start
    finally:
        for c in made:
            with contextlib.suppress(docker.errors.NotFound):
                c.remove(force=True)


def provision(engine: Engine, image: str, n: int, parallel: int) -> float:
    """Seconds for ``agents up --count n`` against a fresh double; torn down afterwards."""
    with JenkinsDouble() as double:
        jenkins = JenkinsClient(double.url)
        cid = controller_id(double.url)
        settings = AgentSettings(image=image, jenkins_url=double.url, controller=cid, pool="bench")
        options = UpOptions(
            count=n, labels="docker", pool="bench", settings=settings, parallel=parallel
        )
        start = time.perf_counter()
        report = up(jenkins, [engine], options)
        elapsed = time.perf_counter() - start
        try:
            if report.failed:
                raise SystemExit(f"provisioning failed: {report.failed[0].error}")
            running = [
                c
                for c in engine.client.containers.list(
                    filters={"label": f"io.jenkinsgen.controller={cid}"}
                )
                if c.status == "running"
            ]
            assert len(running) == n, f"{len(running)} of {n} containers running"
        finally:
            down(jenkins, [engine], cid, everything=True, parallel=8)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    client = docker.from_env()
    tag = f"jenkinsgen-bench/agent:{uuid.uuid4().hex[:8]}"
    try:
        build_image(client, ImageInputs(kind="agent"), tag, base.standin_agent(client))
        engine = Engine(parse_host("unix:///var/run/docker.sock"), client)
        provision(engine, tag, 1, 1)  # warm-up: first container start, caches
        rows: list[tuple[str, int, float]] = []
        for n in SIZES:
            rows.append(
                (
                    "anchor: docker run -d, sequential",
                    n,
                    statistics.median(anchor(client, tag, n) for _ in range(args.runs)),
                )
            )
            for label, parallel in MODES:
                times = [provision(engine, tag, n, parallel) for _ in range(args.runs)]
                rows.append((f"agents up, {label}", n, statistics.median(times)))
        info = client.info()
        print(
            f"python {platform.python_version()} on {platform.machine()}, "
            f"{info.get('NCPU')} CPUs, dockerd {info.get('ServerVersion')} "
            f"({info.get('Driver')}), {args.runs} runs, medians\n"
        )
        print("| measurement | agents | median s | per agent ms |")
        print("| --- | ---: | ---: | ---: |")
        for label, n, seconds in rows:
            print(f"| {label} | {n} | {seconds:.2f} | {seconds / n * 1000:.0f} |")
    finally:
        with contextlib.suppress(docker.errors.ImageNotFound):
            client.images.remove(tag, force=True)
        client.close()


if __name__ == "__main__":
    main()
