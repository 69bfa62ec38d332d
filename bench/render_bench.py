"""Render benchmark: ``jenkinsgen render`` against ``jenkins-jobs test`` for the same jobs.

For N services with three environments each (3·N pipeline jobs), both tools render the
equivalent pipeline jobs end to end as a user runs them (one CLI process each, output
written to a fresh directory):

* jenkinsgen: ``jenkinsgen render spec.yaml -o OUT`` (it also writes the folders and a
  Jenkinsfile beside every config.xml, which JJB does not: more work on our side);
* JJB: ``jenkins-jobs test jobs.yaml -o OUT`` where jobs.yaml holds one job-group of three
  ``project-type: pipeline`` job-templates (one per environment, each with the very Jenkinsfile
  jenkinsgen renders, sandbox, build discarder, no concurrent builds) and a ``project`` per
  service. (The spec sets no push trigger, so neither side writes one.)

Runs alternate (jenkinsgen, jenkinsgen in one process, JJB, jenkinsgen, ...); the median of
each is reported, with jobs per second, the ratio and the time per job at every N (linear
growth = flat per-job time). "One process" sets JENKINSGEN_WORKERS=1 (no forked workers), to
show what the forked workers buy on this machine.
Outputs go to tmpfs (/dev/shm) and, for comparison, to disk (bench/_work).

    .venv/bin/python bench/render_bench.py                 # N = 1000 and 5000, 3 runs
    .venv/bin/python bench/render_bench.py -n 200 --runs 1 # quick look
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
ENVS = (("dev", "develop", False), ("staging", "release", False), ("prod", "main", True))
TEMPLATE_SERVICE = "svctemplate"


def _service_line(name: str) -> str:
    return (
        f"  - {{name: {name}, repo: 'https://git.example.com/acme/{name}.git', "
        "repo_credentials: git-ro, build: 'mvn -B -DskipTests package', "
        "test: {command: 'mvn -B test', junit: 'target/surefire-reports/*.xml'}, "
        f"trigger: {{webhook: 'https://deploy.example.com/hooks/{name}', "
        "credentials: deploy-token}}"
    )


def spec_text(names: list[str]) -> str:
    lines = [
        "version: 1",
        "folder: fleet",
        "defaults: {registry: registry.example.com/acme, registry_credentials: registry-push,"
        " builds_to_keep: 20}",
        "environments:",
    ]
    for env, branch, manual in ENVS:
        gate = ", deploy: manual, approvers: [release-managers]" if manual else ""
        lines.append(f"  - {{name: {env}, branch: '{branch}'{gate}}}")
    lines.append("services:")
    lines.extend(_service_line(n) for n in names)
    return "\n".join(lines) + "\n"


def _names(n: int) -> list[str]:
    return [f"svc{i:05d}" for i in range(n)]


def _jjb_escape(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}").replace(TEMPLATE_SERVICE, "{service}")


def jjb_yaml(names: list[str]) -> str:
    """A job-group of three pipeline job-templates (jenkinsgen's own Jenkinsfiles) + projects."""
    from jenkinsgen.render import render_spec
    from jenkinsgen.spec import load_spec_text

    rendered = render_spec(load_spec_text(spec_text([TEMPLATE_SERVICE]), "template.yaml"))
    scripts = {item.path[-1]: item.jenkinsfile for item in rendered.items if item.jenkinsfile}
    out = []
    for env, _branch, _manual in ENVS:
        script = _jjb_escape(scripts[env] or "")
        body = "\n".join("      " + line if line else "" for line in script.splitlines())
        out.append(
            f"""- job-template:
    name: '{{service}}-{env}'
    project-type: pipeline
    description: 'Service {{service}}, environment {env}'
    sandbox: true
    concurrent: false
    properties:
      - build-discarder:
          num-to-keep: 20
    dsl: |
{body}
"""
        )
    out.append(
        "- job-group:\n    name: pipelines\n    jobs:\n"
        + "".join(f"      - '{{service}}-{env}'\n" for env, _b, _m in ENVS)
    )
    out.extend(
        f"- project:\n    name: {n}\n    service: {n}\n    jobs:\n      - pipelines\n"
        for n in names
    )
    return "\n".join(out)


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall-clock and CPU seconds (user + system, worker processes included) of ``cmd``."""
    cpu = _cpu()
    start = time.perf_counter()
    proc = subprocess.run(
        cmd, cwd=cwd, capture_output=True, text=True, check=False, env=env or None
    )
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:3])} failed:\n{proc.stderr[-3000:]}")
    return elapsed, _cpu() - cpu


def _fresh(path: Path) -> Path:
    if path.exists():
        shutil.rmtree(path)
    return path


def check_equivalent(work: Path, out_jg: Path, out_jjb: Path, name: str) -> None:
    """The same work: JJB's script for one job is the Jenkinsfile jenkinsgen wrote."""
    for env, _b, _m in ENVS:
        ours = (out_jg / f"jobs/fleet/jobs/{name}/jobs/{env}/Jenkinsfile").read_text("utf-8")
        theirs = etree.parse(str(out_jjb / f"{name}-{env}")).findtext("definition/script")
        if theirs != ours:
            raise SystemExit(f"JJB script for {name}-{env} differs from jenkinsgen's Jenkinsfile")


def bench(n: int, runs: int, base: Path) -> dict[str, float]:
    work = base / f"n{n}"
    work.mkdir(parents=True, exist_ok=True)
    names = _names(n)
    (work / "spec.yaml").write_text(spec_text(names), encoding="utf-8")
    (work / "jobs.yaml").write_text(jjb_yaml(names), encoding="utf-8")
    jg_cmd = [str(BIN / "jenkinsgen"), "-q", "render", "spec.yaml", "-o", "out-jg"]
    jjb_cmd = [
        str(BIN / "jenkins-jobs"),
        "--conf",
        "/dev/null",
        "-l",
        "error",
        "test",
        "jobs.yaml",
        "-o",
        "out-jjb",
    ]
    serial_env = {**os.environ, "JENKINSGEN_WORKERS": "1"}
    jg_times, jg1_times, jjb_times = [], [], []
    for i in range(runs):
        _fresh(work / "out-jg")
        jg_times.append(_timed(jg_cmd, work))
        _fresh(work / "out-jg")
        jg1_times.append(_timed(jg_cmd, work, serial_env))
        _fresh(work / "out-jjb")
        jjb_times.append(_timed(jjb_cmd, work))
        print(
            f"  N={n} run {i + 1}: jenkinsgen {jg_times[-1][0]:.2f}s (cpu {jg_times[-1][1]:.2f}s),"
            f" 1 process {jg1_times[-1][0]:.2f}s (cpu {jg1_times[-1][1]:.2f}s),"
            f" JJB {jjb_times[-1][0]:.2f}s (cpu {jjb_times[-1][1]:.2f}s),"
            f" load {os.getloadavg()[0]:.1f}",
            flush=True,
        )
    check_equivalent(work, work / "out-jg", work / "out-jjb", names[-1])
    jobs = 3 * n
    jg = statistics.median(t[0] for t in jg_times)
    jjb = statistics.median(t[0] for t in jjb_times)
    jg1 = statistics.median(t[0] for t in jg1_times)
    jg1_cpu = statistics.median(t[1] for t in jg1_times)
    jg_cpu = statistics.median(t[1] for t in jg_times)
    jjb_cpu = statistics.median(t[1] for t in jjb_times)
    return {
        "n": n,
        "jobs": jobs,
        "jg": jg,
        "jjb": jjb,
        "runs": runs,
        "jg_cpu": jg_cpu,
        "jjb_cpu": jjb_cpu,
        "jg_jps": jobs / jg,
        "jjb_jps": jobs / jjb,
        "ratio": jjb / jg,
        "cpu_ratio": jjb_cpu / jg_cpu,
        "jg1": jg1,
        "jg1_cpu": jg1_cpu,
        "ratio1": jjb / jg1,
    }


def _terminate(signum: int, frame: object) -> None:
    raise SystemExit(f"terminated by signal {signum}")  # so the work directories are removed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, action="append", help="services (repeatable)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--disk-runs", type=int, default=1, help="runs on disk (0: skip)")
    args = parser.parse_args()
    sizes = args.n or [1000, 5000]
    rows: list[tuple[str, dict[str, float]]] = []
    signal.signal(signal.SIGTERM, _terminate)
    shm = Path(tempfile.mkdtemp(prefix="jenkinsgen-bench-", dir="/dev/shm"))
    disk = ROOT / "bench" / "_work"
    try:
        for n in sizes:
            print(f"tmpfs, N={n} services ({3 * n} jobs)", flush=True)
            rows.append(("tmpfs", bench(n, args.runs, shm)))
            shutil.rmtree(shm / f"n{n}")
            if args.disk_runs:
                print(f"disk, N={n}", flush=True)
                rows.append(("disk", bench(n, args.disk_runs, disk)))
                shutil.rmtree(disk / f"n{n}")
    finally:
        shutil.rmtree(shm, ignore_errors=True)
        shutil.rmtree(disk, ignore_errors=True)
    print(
        f"\n{dt.date.today()} {platform.python_implementation()} {platform.python_version()},"
        f" {platform.machine()}"
    )
    print(
        f"cpus available: {len(os.sched_getaffinity(0))}, load average now {os.getloadavg()[0]:.1f}"
    )
    print(
        "| fs | services | jobs | runs | jenkinsgen s | JJB s | jenkinsgen jobs/s | JJB jobs/s"
        " | ratio | jenkinsgen ms/job | JJB ms/job | jenkinsgen cpu s | JJB cpu s | cpu ratio |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for fs, r in rows:
        print(
            f"| {fs} | {r['n']} | {r['jobs']} | {r['runs']} | {r['jg']:.2f} | {r['jjb']:.2f}"
            f" | {r['jg_jps']:.0f} | {r['jjb_jps']:.0f} | {r['ratio']:.1f}x"
            f" | {1000 * r['jg'] / r['jobs']:.3f} | {1000 * r['jjb'] / r['jobs']:.3f}"
            f" | {r['jg_cpu']:.2f} | {r['jjb_cpu']:.2f} | {r['cpu_ratio']:.1f}x |"
        )
    print("\njenkinsgen in one process (JENKINSGEN_WORKERS=1), same runs:")
    print("| fs | services | jobs | 1-process s | 1-process cpu s | ratio to JJB (wall) |")
    print("|---|---|---|---|---|---|")
    for fs, r in rows:
        print(
            f"| {fs} | {r['n']} | {r['jobs']} | {r['jg1']:.2f} | {r['jg1_cpu']:.2f}"
            f" | {r['ratio1']:.1f}x |"
        )


if __name__ == "__main__":
    main()
