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

jenkinsgen keeps its compiled templates in ``$XDG_CACHE_HOME/jenkinsgen`` (the bench points
it at its work directory, filled by one untimed run before the timed ones, as a user's second
run finds it). Runs alternate (jenkinsgen as the command chooses its processes, with
``--workers 1`` and with ``--workers <CPUs>``, [baseline as its command chooses, baseline in
one process (``JENKINSGEN_WORKERS=1``),] JJB, jenkinsgen, ...); the median of each is
reported, with jobs per second, the ratio, the CPU-time ratio and the time per job at every
size (linear growth = flat per-job time). Outputs go to tmpfs (/dev/shm) and, for comparison,
to disk (bench/_work). The load average is printed with every run.

``--baseline DIR`` also runs jenkinsgen from another source tree (e.g. ``git archive COMMIT |
tar -x -C DIR``), alternating with this one: before/after on the same machine, same minutes.
``--profile`` prints where one process spends its CPU instead (phases timed with
``time.process_time`` in a fresh process, best of ``--runs``; then cProfile's top functions
of one ``--workers 1`` run), for this tree and the baseline. ``--min-ratio R`` exits 1 when the
wall-clock ratio at the first size is below R.

    .venv/bin/python bench/render_bench.py                     # 5,000 and 15,000 jobs, 3 runs
    .venv/bin/python bench/render_bench.py --jobs 5000 --min-ratio 10
    .venv/bin/python bench/render_bench.py --profile --baseline /tmp/before
    .venv/bin/python bench/render_bench.py -n 200 --runs 1     # quick look (N services)
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
CPUS = len(os.sched_getaffinity(0))
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


def _load() -> float:
    return os.getloadavg()[0]


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


def _same_tree(a: Path, b: Path) -> None:
    """The baseline must write the very same files (else before/after compares other work)."""
    proc = subprocess.run(["diff", "-r", "-q", str(a), str(b)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"baseline output differs from this tree's:\n{proc.stdout[:2000]}")


def _launcher(tree: Path | None, cache: Path) -> tuple[list[str], dict[str, str]]:
    """How to run ``jenkinsgen`` from ``tree`` (None: this checkout's console script), with
    the CLI's template cache in ``cache`` (the bench's own, not the user's)."""
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    if tree is None:
        return [str(BIN / "jenkinsgen")], env
    code = "from jenkinsgen.cli.main import main; main()"
    return [sys.executable, "-c", code], {**env, "PYTHONPATH": str(tree)}


def bench(
    n: int, runs: int, base: Path, baseline: Path | None, keep: bool = False
) -> dict[str, float]:
    """Every run writes into a directory of its own. With ``keep`` (on disk) nothing is deleted
    until all runs of this size are done: removing 35,000 files right before a timed run would
    charge it for the filesystem's deferred clean-up (on ext4 mounted with ``discard``, many
    seconds). On tmpfs, which defers nothing, a run's tree is removed once the next one wrote
    (keeping them all would hold gigabytes of memory)."""
    work = base / f"n{n}"
    work.mkdir(parents=True, exist_ok=True)
    names = _names(n)
    (work / "spec.yaml").write_text(spec_text(names), encoding="utf-8")
    (work / "jobs.yaml").write_text(jjb_yaml(names), encoding="utf-8")
    args = ["-q", "render", "spec.yaml", "-o"]
    jg, jg_env = _launcher(None, base / "cache")
    tools: dict[str, tuple[list[str], list[str], dict[str, str]]] = {
        "jg": ([*jg, *args], [], jg_env),
        "jg1": ([*jg, *args], ["--workers", "1"], jg_env),
    }
    if CPUS > 1:  # what forked workers give here, whatever the command's default
        tools["jgN"] = ([*jg, *args], ["--workers", str(CPUS)], jg_env)
    if baseline is not None:
        old, old_env = _launcher(baseline, base / "cache")
        tools["old"] = ([*old, *args], [], old_env)
        tools["old1"] = ([*old, *args], [], {**old_env, "JENKINSGEN_WORKERS": "1"})
    jjb = [str(BIN / "jenkins-jobs"), "--conf", "/dev/null", "-l", "error", "test", "jobs.yaml"]
    tools["jjb"] = ([*jjb, "-o"], [], {})
    for tool in ("jg", "old"):  # untimed: the template cache and the page cache in place
        if tool in tools:
            cmd, options, env = tools[tool]
            _timed([*cmd, f"warm-{tool}", *options], work, env)
            if not keep:  # on disk, removed with the rest (see above)
                shutil.rmtree(work / f"warm-{tool}")
    times: dict[str, list[tuple[float, float]]] = {tool: [] for tool in tools}
    for i in range(runs):
        line = []
        for tool, (cmd, options, env) in tools.items():
            if keep:  # on disk, start each run with nothing left to flush from earlier ones
                os.sync()
            times[tool].append(_timed([*cmd, f"out-{tool}-{i}", *options], work, env))
            if not keep and i > 1:
                shutil.rmtree(work / f"out-{tool}-{i - 1}")
            wall, cpu = times[tool][-1]
            line.append(f"{tool} {wall:.2f}s (cpu {cpu:.2f}s)")
        print(f"  N={n} run {i + 1}: {', '.join(line)}, load {_load():.1f}", flush=True)
    check_equivalent(work, work / "out-jg-0", work / "out-jjb-0", names[-1])
    if baseline is not None:
        _same_tree(work / "out-jg-0", work / "out-old-0")
    jobs = 3 * n
    row: dict[str, float] = {"n": n, "jobs": jobs, "runs": runs}
    for tool, got in times.items():
        row[tool] = statistics.median(t[0] for t in got)
        row[f"{tool}_cpu"] = statistics.median(t[1] for t in got)
    for tool in tools:
        row[f"{tool}_ratio"] = row["jjb"] / row[tool]
        row[f"{tool}_cpu_ratio"] = row["jjb_cpu"] / row[f"{tool}_cpu"]
    return row


#: Run in a fresh interpreter with the tree under test first on sys.path: CPU seconds of each
#: phase of ``jenkinsgen render`` in one process (the public API both trees share).
_PHASES = r"""
import sys, time, tempfile
T = time.process_time
t0 = T()
import jenkinsgen.cli.main, jenkinsgen.cli.render_cmd
from jenkinsgen.plan import plan
from jenkinsgen.render import render_item
from jenkinsgen.render.extras import extra_files
from jenkinsgen.render.model import Rendered
from jenkinsgen.render.output import write_tree
from jenkinsgen.spec import load_spec
from jenkinsgen.spec.loader import gc_paused
try:  # as the CLI does (a tree without the template cache compiles them while rendering)
    from jenkinsgen.cli.common import cache_templates
    cache_templates()
except ImportError:
    pass
t1 = T()
spec = load_spec(sys.argv[1])
t2 = T()
p = plan(spec)
t3 = T()
with gc_paused():
    items = tuple(render_item(p, item) for item in (*p.folders, *p.jobs))
t4 = T()
write_tree(Rendered(spec.folder, items, extra_files(spec)), sys.argv[2], workers=1)
t5 = T()
print(t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4)
"""
_PHASE_NAMES = ("imports", "load + validate", "plan", "render (in memory)", "write (tmpfs)")


def profile(n: int, runs: int, base: Path, trees: dict[str, Path | None]) -> None:
    """Per-phase CPU (best of ``runs`` fresh processes) and cProfile's top functions."""
    work = base / f"p{n}"
    work.mkdir(parents=True, exist_ok=True)
    spec = work / "spec.yaml"
    spec.write_text(spec_text(_names(n)), encoding="utf-8")
    print(f"\nWhere one process spends its CPU, N={n} services ({3 * n} jobs), tmpfs")
    print(f"| phase (cpu s, best of {runs}) | " + " | ".join(trees) + " |")
    print("|---|" + "---|" * len(trees))
    best: dict[str, list[float]] = {}
    for label, tree in trees.items():
        env = {**os.environ, "PYTHONPATH": str(tree or ROOT), "XDG_CACHE_HOME": str(base)}
        for _ in range(runs):
            out = _fresh(work / "out")
            proc = subprocess.run(
                [sys.executable, "-c", _PHASES, str(spec), str(out)],
                capture_output=True,
                text=True,
                check=True,
                env=env,
                cwd=work,
            )
            got = [float(x) for x in proc.stdout.split()]
            best[label] = [min(a, b) for a, b in zip(best.get(label, got), got, strict=True)]
    for i, phase in enumerate(_PHASE_NAMES):
        print(f"| {phase} | " + " | ".join(f"{best[t][i]:.3f}" for t in trees) + " |")
    print(
        "| total | " + " | ".join(f"{sum(best[t]):.3f}" for t in trees) + f" | load {_load():.1f}"
    )
    for label, tree in trees.items():
        env = {
            **os.environ,
            "PYTHONPATH": str(tree or ROOT),
            "JENKINSGEN_WORKERS": "1",
            "XDG_CACHE_HOME": str(base),
        }
        profiles = []
        for i in range(min(runs, 3)):  # the quietest of three: a profiler run is one sample
            stats = work / f"{label}-{i}.prof"
            out = _fresh(work / "out")
            cmd = [sys.executable, "-m", "cProfile", "-o", str(stats), "-m", "jenkinsgen.cli.main"]
            args = [*cmd, "-q", "render", str(spec), "-o", str(out)]
            subprocess.run(args, check=True, env=env, cwd=work)  # not ROOT: -m puts cwd first
            profiles.append(_stats(stats, tree or ROOT))
        total, rows = min(profiles, key=lambda p: p[0])
        print(f"\ncProfile, {label}, one process (`JENKINSGEN_WORKERS=1`), top by own time:")
        print(f"total {total:.2f} s under the profiler (the least of {len(profiles)} runs)")
        print("| own s | cumulative s | calls | function |\n|---|---|---|---|")
        for own, cum, calls, name in sorted(rows, reverse=True)[:15]:
            print(f"| {own:.3f} | {cum:.3f} | {calls} | `{name}` |")


def _stats(path: Path, tree: Path) -> tuple[float, list[tuple[float, float, int, str]]]:
    import pstats

    stats = pstats.Stats(str(path))
    rows = []
    for (file, line, func), (_cc, calls, own, cum, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        where = file.split("site-packages/")[-1].replace(str(tree) + "/", "")
        rows.append((own, cum, calls, f"{where}:{line}({func})"))
    return sum(r[0] for r in rows), rows


def _terminate(signum: int, frame: object) -> None:
    raise SystemExit(f"terminated by signal {signum}")  # so the work directories are removed


def _report(rows: list[tuple[str, dict[str, float]]], baseline: bool) -> None:
    print(
        f"\n{dt.date.today()} {platform.python_implementation()} {platform.python_version()},"
        f" {platform.machine()}"
    )
    print(f"cpus available: {CPUS}, load average now {_load():.1f}")
    print(
        "| fs | services | jobs | runs | jenkinsgen s | JJB s | jenkinsgen jobs/s | JJB jobs/s"
        " | ratio | jenkinsgen ms/job | JJB ms/job | jenkinsgen cpu s | JJB cpu s | cpu ratio |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for fs, r in rows:
        print(
            f"| {fs} | {r['n']} | {r['jobs']} | {r['runs']} | {r['jg']:.2f} | {r['jjb']:.2f}"
            f" | {r['jobs'] / r['jg']:.0f} | {r['jobs'] / r['jjb']:.0f} | {r['jg_ratio']:.1f}x"
            f" | {1000 * r['jg'] / r['jobs']:.3f} | {1000 * r['jjb'] / r['jobs']:.3f}"
            f" | {r['jg_cpu']:.2f} | {r['jjb_cpu']:.2f} | {r['jg_cpu_ratio']:.1f}x |"
        )
    tools = [("jg1", "--workers 1")] + ([("jgN", f"--workers {CPUS}")] if CPUS > 1 else [])
    if baseline:
        tools += [("old", "baseline"), ("old1", "baseline, 1 process")]
    print("\nSame runs: jenkinsgen with --workers" + (" and the baseline tree" if baseline else ""))
    print("| fs | jobs | run | s | cpu s | ratio to JJB (wall) | ratio to JJB (cpu) |")
    print("|---|---|---|---|---|---|---|")
    for fs, r in rows:
        for tool, label in tools:
            print(
                f"| {fs} | {r['jobs']} | {label} | {r[tool]:.2f} | {r[f'{tool}_cpu']:.2f}"
                f" | {r[f'{tool}_ratio']:.1f}x | {r[f'{tool}_cpu_ratio']:.1f}x |"
            )


def _byte_compile(*trees: Path) -> None:
    """Write the bytecode caches the runs would write themselves, so no run pays for compiling
    the package (PYTHONDONTWRITEBYTECODE, set in some shells, would make every run compile)."""
    for tree in trees:
        subprocess.run(
            [sys.executable, "-m", "compileall", "-q", str(tree / "jenkinsgen")], check=True
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, action="append", help="services (repeatable)")
    parser.add_argument(
        "--jobs", type=int, action="append", help="jobs, rounded up to 3 per service (repeatable)"
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--disk-runs", type=int, default=1, help="runs on disk (0: skip)")
    parser.add_argument("--baseline", type=Path, help="another source tree to run alongside")
    parser.add_argument("--profile", action="store_true", help="where the CPU goes, then exit")
    parser.add_argument("--min-ratio", type=float, help="exit 1 below this wall ratio (size 1)")
    args = parser.parse_args()
    sizes = [*(args.n or []), *(-(-j // 3) for j in args.jobs or [])] or [1667, 5000]
    signal.signal(signal.SIGTERM, _terminate)
    _byte_compile(ROOT, *([args.baseline] if args.baseline else []))
    shm = Path(tempfile.mkdtemp(prefix="jenkinsgen-bench-", dir="/dev/shm"))
    disk = ROOT / "bench" / "_work"
    rows: list[tuple[str, dict[str, float]]] = []
    try:
        if args.profile:
            trees = {"this tree": None} | ({"baseline": args.baseline} if args.baseline else {})
            for n in sizes:
                profile(n, args.runs, shm, trees)
            return
        for n in sizes:
            print(f"tmpfs, N={n} services ({3 * n} jobs), load {_load():.1f}", flush=True)
            rows.append(("tmpfs", bench(n, args.runs, shm, args.baseline)))
            shutil.rmtree(shm / f"n{n}")
            if args.disk_runs:
                print(f"disk, N={n}", flush=True)
                rows.append(("disk", bench(n, args.disk_runs, disk, args.baseline, keep=True)))
                shutil.rmtree(disk / f"n{n}")
                os.sync()
    finally:
        shutil.rmtree(shm, ignore_errors=True)
        shutil.rmtree(disk, ignore_errors=True)
    _report(rows, args.baseline is not None)
    ratio = rows[0][1]["jg_ratio"]
    if args.min_ratio is not None and ratio < args.min_ratio:
        raise SystemExit(f"ratio {ratio:.1f}x at {rows[0][1]['jobs']} jobs < {args.min_ratio}x")


if __name__ == "__main__":
    main()
