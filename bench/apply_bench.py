"""Apply 1,000 pipeline jobs against the Jenkins double with 20 ms per request.

Side by side with the anchor, ``jenkins-jobs update`` (Jenkins Job Builder), on the same
double and the same jobs (the same Jenkinsfiles, in folders):

* cold: an empty controller (every item created);
* warm, unchanged: nothing changed since the last run. jenkinsgen has no cache, so this is
  also its "fresh machine" case; JJB is shown with its cache warm and with it cold (a new CI
  agent), where it reconfigures every job;
* 10 % changed: the build command of a tenth of the services changed.

Both run as subprocesses (start-up included), jenkinsgen via its CLI. Times are medians of
``--runs`` runs for jenkinsgen; JJB runs ``--jjb-runs`` times (it is slow). Request counts
come from the double's counters. Usage::

    .venv/bin/python bench/apply_bench.py [--runs 3] [--jjb-runs 1] [--services 250]

Scale (issue 9), one environment per service as in the issue, so N jobs are 2N+1 items:

* ``--scale``: ``apply --dry-run`` against an empty double (no latency) at 1,000 ... 15,000
  jobs: the CLI's wall and CPU time (subprocess, start-up and rendering included; with
  ``--baseline DIR`` also another source tree's CLI, alternating), and in-process the
  sync part alone (``plan_changes`` + ``apply_changes``), both in a dry run and with writes
  to a client that answers at once (the scheduler's own cost). Time per item should be flat.
* ``--calls``: Python function calls per item of planning + apply (cProfile), exact and
  independent of load: constant when the work is linear.
* ``--cold-scale``: cold apply (every item created) at 1,000 and 15,000 jobs against the
  double with ``--latency`` per request, through the CLI with 8 workers; the JJB anchor
  (``jenkins-jobs update``, once, cold) up to ``--jjb-max`` jobs (default 1,000).

Every row carries the 1-minute load average when it was taken (2 shared cores)::

    .venv/bin/python bench/apply_bench.py --scale [--runs 3] [--sizes 1000,...] [--baseline DIR]
    .venv/bin/python bench/apply_bench.py --cold-scale [--runs 3] [--sizes 1000,15000]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from jenkinsgen.render import render_spec  # noqa: E402
from jenkinsgen.spec import load_spec_text  # noqa: E402
from tests.jenkins_double import JenkinsDouble  # noqa: E402

ENVS = ("dev", "qa", "staging", "prod")
LATENCY = 0.020


def spec_text(services: int, changed: int = 0) -> str:
    envs = "\n".join(f"  - {{name: {e}, branch: {'main' if e == 'prod' else e}}}" for e in ENVS)
    svcs = "\n".join(
        f"  - {{name: svc{i:04d}, repo: https://git.example.com/svc{i:04d}.git, "
        f"build: {'make all' if i < changed else 'make'}, test: make test, "
        f"image: {{name: svc{i:04d}}}}}"
        for i in range(services)
    )
    return (
        "version: 1\nfolder: fleet\n"
        "defaults: {registry: registry.example.com/acme, registry_credentials: push}\n"
        f"environments:\n{envs}\nservices:\n{svcs}\n"
    )


def jjb_yaml(spec: str) -> str:
    """The same items as JJB job definitions: folders, then pipeline jobs with our script."""
    rendered = render_spec(load_spec_text(spec))
    out: list[str] = []
    for item in rendered.items:
        out.append(f"- job:\n    name: {item.full_name}\n")
        if item.kind == "folder":
            out.append("    project-type: folder\n")
            continue
        assert item.jenkinsfile is not None
        script = item.jenkinsfile.replace("{", "{{").replace("}", "}}")
        body = "".join(f"      {line}\n" if line else "\n" for line in script.splitlines())
        out.append(f"    project-type: pipeline\n    sandbox: true\n    dsl: |\n{body}")
    return "".join(out)


def timed(cmd: list[str], env: dict[str, str], cwd: Path = ROOT) -> float:
    return timed_cpu(cmd, env, cwd)[0]


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_cpu(cmd: list[str], env: dict[str, str], cwd: Path = ROOT) -> tuple[float, float]:
    """Wall-clock and CPU seconds (user + system) of ``cmd``, run from ``cwd`` (``python -m``
    puts the working directory first on the path: it must be the tree under test)."""
    cpu = _children_cpu()
    start = time.perf_counter()
    result = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:3])} failed:\n{result.stderr[-2000:]}")
    return elapsed, _children_cpu() - cpu


class Row:
    def __init__(self, tool: str, case: str) -> None:
        self.tool, self.case = tool, case
        self.times: list[float] = []
        self.requests: list[int] = []
        self.writes: list[int] = []


def measure(
    rows: list[Row],
    tool: str,
    case: str,
    runs: int,
    prepare: Callable[[], tuple[JenkinsDouble, list[str], dict[str, str]]],
) -> None:
    row = Row(tool, case)
    for _ in range(runs):
        double, cmd, env = prepare()
        try:
            double.counters.reset()
            double.faults.latency = LATENCY
            row.times.append(timed(cmd, env))
            row.requests.append(double.counters.total)
            row.writes.append(double.counters.writes)
        finally:
            double.stop()
    rows.append(row)
    print(
        f"{tool:28} {case:34} {statistics.median(row.times):8.2f} s "
        f"{statistics.median(row.requests):7.0f} req",
        flush=True,
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--jjb-runs", type=int, default=1)
    ap.add_argument("--services", type=int, default=250)
    ap.add_argument("--no-jjb", action="store_true")
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--scale", action="store_true", help="dry-run and scheduler scaling")
    mode.add_argument("--cold-scale", action="store_true", help="cold apply at two sizes")
    mode.add_argument("--calls", action="store_true", help="Python calls per item (cProfile)")
    ap.add_argument("--sizes", help="jobs per row, comma-separated")
    ap.add_argument("--latency", type=float, default=LATENCY, help="seconds per request")
    ap.add_argument("--jjb-max", type=int, default=1000, help="--cold-scale: JJB up to N jobs")
    ap.add_argument("--envs", type=int, default=1, choices=range(1, 5), help="--scale: per service")
    ap.add_argument(
        "--baseline", type=Path, help="--scale: another source tree whose CLI runs alongside"
    )
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="apply-bench-"))
    try:
        if args.scale:
            sizes = _sizes(args.sizes, "1000,2000,4000,8000,15000")
            scale(sizes, args.runs, work, args.envs, args.baseline)
        elif args.calls:
            calls_per_item(_sizes(args.sizes, "1000,15000"), args.envs)
        elif args.cold_scale:
            sizes = _sizes(args.sizes, "1000,15000")
            cold_scale(sizes, args.runs, args.latency, work, 0 if args.no_jjb else args.jjb_max)
        else:
            run(args, args.services, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _sizes(raw: str | None, default: str) -> list[int]:
    return [int(x) for x in (raw or default).split(",")]


def fleet_text(jobs: int, envs: int = 1) -> str:
    """``jobs`` pipelines: ``jobs // envs`` services with ``envs`` environments each (one
    folder per service, and the root folder)."""
    names = ["prod", *(e for e in ENVS if e != "prod")][:envs]
    env_lines = "\n".join(
        f"  - {{name: {e}, branch: {'main' if e == 'prod' else e}}}" for e in names
    )
    svcs = "\n".join(
        f"  - {{name: svc{i:05d}, repo: https://git.example.com/svc{i:05d}.git, "
        f"build: make, test: make test, image: {{name: svc{i:05d}}}}}"
        for i in range(jobs // len(names))
    )
    return (
        "version: 1\nfolder: fleet\n"
        "defaults: {registry: registry.example.com/acme, registry_credentials: push}\n"
        f"environments:\n{env_lines}\nservices:\n{svcs}\n"
    )


def cli_env(tree: Path = ROOT, cache: Path | None = None) -> dict[str, str]:
    """The environment for CLI runs: no JENKINS_* from the caller; ``tree``'s package; the
    CLI's template cache in ``cache`` (the bench's own, not the user's)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("JENKINS_")}
    env["PYTHONPATH"] = str(tree)
    if cache is not None:
        env["XDG_CACHE_HOME"] = str(cache)
    return env


def cli_apply(spec: Path, url: str) -> list[str]:
    return [sys.executable, "-m", "jenkinsgen.cli.main", "-q", "apply", str(spec), "--url", url]


def load1() -> float:
    return os.getloadavg()[0]


def _load_range(loads: list[float]) -> str:
    return f"{min(loads):.1f}-{max(loads):.1f}"


class InstantClient:
    """Answers every write at once: what is left is apply's own scheduling."""

    url = "http://instant.invalid/"
    requests_made = 0

    def prime(self) -> None:
        pass

    def create(self, path: tuple[str, ...], config_xml: bytes) -> None:
        pass

    def update(self, path: tuple[str, ...], config_xml: bytes) -> None:
        pass

    def delete(self, path: tuple[str, ...]) -> None:
        pass


def scale(
    sizes: list[int], runs: int, work: Path, envs: int = 1, baseline: Path | None = None
) -> None:
    """Each size: the CLI dry run (this tree, and ``baseline`` alternating with it), then
    in-process load + render, the sync part and the scheduler."""
    from jenkinsgen.jenkins.client import JenkinsClient
    from jenkinsgen.sync import apply_changes, plan_changes

    trees = {"this tree": ROOT} | ({"baseline": baseline} if baseline is not None else {})
    envs_of = {label: cli_env(tree, work / "cache") for label, tree in trees.items()}
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {runs} runs, medians, "
        f"{envs} environment(s) per service; CLI runs alternate: {', '.join(trees)}"
    )
    warm = work / "warm.yaml"  # one untimed run each: compiled files and caches in place
    warm.write_text(fleet_text(10, envs))
    with JenkinsDouble() as d:
        for label, tree in trees.items():
            timed_cpu([*cli_apply(warm, d.url), "--dry-run"], envs_of[label], tree)
    cli_columns = "".join(f"{label} CLI dry-run s | {label} CLI cpu s | " for label in trees)
    print()
    print(
        f"| jobs | items | {cli_columns}load + render in-process s | sync dry-run ms | "
        "sync µs/item | schedule (instant writes) ms | schedule µs/item | load avg |"
    )
    print(
        "| ---: | ---: | "
        + "---: | ---: | " * len(trees)
        + "---: | ---: | ---: | ---: | ---: | --- |"
    )
    for jobs in sizes:
        text = fleet_text(jobs, envs)
        spec = work / f"fleet-{jobs}.yaml"
        spec.write_text(text)
        prepare: list[float] = []
        for _ in range(runs):
            start = time.perf_counter()
            rendered = render_spec(load_spec_text(text))
            prepare.append(time.perf_counter() - start)
        items = len(rendered.items)
        cli: dict[str, list[tuple[float, float]]] = {label: [] for label in trees}
        dry: list[float] = []
        sched: list[float] = []
        loads: list[float] = []
        for _ in range(runs):
            with JenkinsDouble() as d:
                for label, tree in trees.items():
                    loads.append(load1())
                    cmd = [*cli_apply(spec, d.url), "--dry-run"]
                    cli[label].append(timed_cpu(cmd, envs_of[label], tree))
                client = JenkinsClient(d.url)
                start = time.perf_counter()
                changes = plan_changes(rendered, client.list_items(12))
                report = apply_changes(client, changes, dry_run=True)
                dry.append(time.perf_counter() - start)
                assert report.count("create", "planned") == items
            start = time.perf_counter()
            changes = plan_changes(rendered, [])
            report = apply_changes(InstantClient(), changes)  # type: ignore[arg-type]
            sched.append(time.perf_counter() - start)
            assert report.count("create", "done") == items
        m_dry, m_sched = statistics.median(dry), statistics.median(sched)
        figures = "".join(
            f"{statistics.median(t[0] for t in cli[label]):.2f} | "
            f"{statistics.median(t[1] for t in cli[label]):.2f} | "
            for label in trees
        )
        print(
            f"| {jobs:,} | {items:,} | {figures}"
            f"{statistics.median(prepare):.2f} | {m_dry * 1000:.0f} | "
            f"{m_dry / items * 1e6:.1f} | {m_sched * 1000:.0f} | {m_sched / items * 1e6:.1f} | "
            f"{_load_range(loads)} |",
            flush=True,
        )


def calls_per_item(sizes: list[int], envs: int) -> None:
    """Python function calls per item of planning + apply (cProfile): exact, load-free."""
    import cProfile
    import pstats

    from jenkinsgen.sync import apply_changes, plan_changes

    print("| jobs | items | dry-run calls/item | instant writes calls/item |")
    print("| ---: | ---: | ---: | ---: |")
    for jobs in sizes:
        rendered = render_spec(load_spec_text(fleet_text(jobs, envs)))
        counts: list[float] = []
        for dry_run in (True, False):
            profile = cProfile.Profile()
            profile.enable()
            changes = plan_changes(rendered, [])
            apply_changes(InstantClient(), changes, dry_run=dry_run)  # type: ignore[arg-type]
            profile.disable()
            counts.append(pstats.Stats(profile).total_calls / len(rendered.items))  # type: ignore[attr-defined]
        print(f"| {jobs:,} | {len(rendered.items):,} | {counts[0]:.1f} | {counts[1]:.1f} |")


def cold_scale(sizes: list[int], runs: int, latency: float, work: Path, jjb_max: int) -> None:
    """Cold apply through the CLI at each size; the JJB anchor (one run, cold) up to
    ``jjb_max`` jobs (it sends five requests per item, one at a time)."""
    env = cli_env(cache=work / "cache")
    print(
        f"cold apply (every item created), {latency * 1000:.0f} ms per request, "
        f"python {sys.version.split()[0]}, jenkinsgen {runs} runs (median), JJB 1 run"
    )
    print()
    print("| tool | jobs | items | s | ms/item | requests | writes | load avg |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for jobs in sizes:
        text = fleet_text(jobs)
        spec = work / f"fleet-{jobs}.yaml"
        spec.write_text(text)
        items = len(render_spec(load_spec_text(text)).items)
        row = Row("jenkinsgen apply --workers 8", "cold")
        loads: list[float] = []
        for _ in range(runs):
            with JenkinsDouble() as d:
                d.faults.latency = latency
                loads.append(load1())
                row.times.append(timed([*cli_apply(spec, d.url), "--workers", "8"], env))
                row.requests.append(d.counters.total)
                row.writes.append(d.counters.writes)
                assert len(d.job_names()) == items
        _cold_row(row, jobs, items, loads)
        if jobs > jjb_max:
            continue
        jjb_spec = work / f"fleet-{jobs}-jjb.yaml"
        jjb_spec.write_text(jjb_yaml(text))
        row = Row("jenkins-jobs update (JJB)", "cold")
        with JenkinsDouble() as d:
            d.faults.latency = latency
            bin_dir = Path(sys.executable).parent
            cmd, jenv, _ = jjb_command(d.url, work / f"jjb-{jobs}", env, bin_dir)
            loads = [load1()]
            row.times.append(timed([*cmd, str(jjb_spec)], jenv))
            row.requests.append(d.counters.total)
            row.writes.append(d.counters.writes)
            assert len(d.job_names()) == items
        _cold_row(row, jobs, items, loads)


def _cold_row(row: Row, jobs: int, items: int, loads: list[float]) -> None:
    t = statistics.median(row.times)
    print(
        f"| {row.tool} | {jobs:,} | {items:,} | {t:.2f} | {t / items * 1000:.2f} | "
        f"{statistics.median(row.requests):.0f} | {statistics.median(row.writes):.0f} | "
        f"{_load_range(loads)} |",
        flush=True,
    )


def run(args: argparse.Namespace, n: int, work: Path) -> None:
    base, changed = spec_text(n), spec_text(n, changed=n // 10)
    (work / "base.yaml").write_text(base)
    (work / "changed.yaml").write_text(changed)
    (work / "base-jjb.yaml").write_text(jjb_yaml(base))
    (work / "changed-jjb.yaml").write_text(jjb_yaml(changed))
    items = len(render_spec(load_spec_text(base)).items)
    jobs = n * len(ENVS)
    print(f"{jobs} jobs, {items} items in all, {LATENCY * 1000:.0f} ms per request", flush=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("JENKINS_")}
    bin_dir = Path(sys.executable).parent

    def jg(spec: str, workers: int, url: str) -> list[str]:
        return [
            sys.executable,
            "-m",
            "jenkinsgen.cli.main",
            "-q",
            "apply",
            str(work / spec),
            "--url",
            url,
            "--workers",
            str(workers),
        ]

    def fresh(populate: str | None = None) -> JenkinsDouble:
        d = JenkinsDouble().start()
        if populate:
            timed(jg(populate, 16, d.url), env)
        return d

    rows: list[Row] = []
    for workers in (8, 1):
        tool = f"jenkinsgen --workers {workers}"

        def cold(w: int = workers) -> tuple[JenkinsDouble, list[str], dict[str, str]]:
            d = fresh()
            return d, jg("base.yaml", w, d.url), env

        def warm(w: int = workers) -> tuple[JenkinsDouble, list[str], dict[str, str]]:
            d = fresh("base.yaml")
            return d, jg("base.yaml", w, d.url), env

        def ten(w: int = workers) -> tuple[JenkinsDouble, list[str], dict[str, str]]:
            d = fresh("base.yaml")
            return d, jg("changed.yaml", w, d.url), env

        measure(rows, tool, "cold (all create)", args.runs, cold)
        measure(rows, tool, "unchanged (no cache needed)", args.runs, warm)
        measure(rows, tool, "10 % changed", args.runs, ten)

    if not args.no_jjb:
        jjb_rows(rows, args.jjb_runs, work, env, bin_dir)
    print()
    print_table(rows, jobs, items)


def jjb_command(
    url: str, home: Path, env: dict[str, str], bin_dir: Path
) -> tuple[list[str], dict[str, str], Path]:
    """``jenkins-jobs update`` for the controller at ``url``, with its own HOME and cache
    (one worker: with more it may create a job before its folder)."""
    home.mkdir()
    ini = home / "jjb.ini"
    ini.write_text(f"[jenkins]\nurl={url}\nquery_plugins_info=False\n")
    jenv = {**env, "HOME": str(home), "XDG_CACHE_HOME": str(home / "cache")}
    cmd = [str(bin_dir / "jenkins-jobs"), "--conf", str(ini), "update", "--workers", "1"]
    return cmd, jenv, home


def jjb_rows(rows: list[Row], runs: int, work: Path, env: dict[str, str], bin_dir: Path) -> None:
    counter = iter(range(10**6))

    def setup(d: JenkinsDouble) -> tuple[list[str], dict[str, str], Path]:
        return jjb_command(d.url, work / f"jjb-home-{next(counter)}", env, bin_dir)

    def cold() -> tuple[JenkinsDouble, list[str], dict[str, str]]:
        d = JenkinsDouble().start()
        cmd, jenv, _ = setup(d)
        return d, [*cmd, str(work / "base-jjb.yaml")], jenv

    def populated(spec: str, keep_cache: bool) -> tuple[JenkinsDouble, list[str], dict[str, str]]:
        d = JenkinsDouble().start()
        cmd, jenv, home = setup(d)
        timed([*cmd, str(work / "base-jjb.yaml")], jenv)
        if not keep_cache:
            shutil.rmtree(home / "cache", ignore_errors=True)
        return d, [*cmd, str(work / spec)], jenv

    tool = "jenkins-jobs update (JJB)"
    measure(rows, tool, "cold (all create)", runs, cold)
    measure(rows, tool, "unchanged, warm cache", runs, lambda: populated("base-jjb.yaml", True))
    measure(
        rows,
        tool,
        "unchanged, cold cache (new agent)",
        runs,
        lambda: populated("base-jjb.yaml", False),
    )
    measure(
        rows, tool, "10 % changed, warm cache", runs, lambda: populated("changed-jjb.yaml", True)
    )


def print_table(rows: list[Row], jobs: int, items: int) -> None:
    print(
        f"{jobs} pipeline jobs ({items} items with folders), {LATENCY * 1000:.0f} ms latency "
        f"per request, python {sys.version.split()[0]}"
    )
    print()
    print("| tool | case | runs | median s | requests | writes |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(
            f"| {r.tool} | {r.case} | {len(r.times)} | {statistics.median(r.times):.2f} | "
            f"{statistics.median(r.requests):.0f} | {statistics.median(r.writes):.0f} |"
        )


if __name__ == "__main__":
    main()
