"""Bundle benchmark: ``bundle resolve`` on the real update center (2.249.3, 1762 plugins).

Measured, median of --runs runs each:

* load: reading update-center.json alone, and with plugin-versions.json (20,857 releases);
* resolve: the controller image's plugins.txt (11 plugins → ~70) and the whole catalogue
  (1762 requests), with the newest-release catalogue, with every release known (lowest
  satisfying release) and with --latest-dependencies;
* anchor: a bare walk of the same dependency graph straight from the parsed JSON (a set
  fixpoint over mandatory dependencies, no versions, no checks): the least any resolver must do.
  No jenkins-plugin-cli here (it needs Java and the network), so this floor is the reference;
* end to end: the ``jenkinsgen bundle resolve`` process, as a user runs it (includes Python
  start-up and imports).

    .venv/bin/python bench/bundle_bench.py            # 7 runs
    .venv/bin/python bench/bundle_bench.py --runs 3
"""

from __future__ import annotations

import argparse
import atexit
import json
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from jenkinsgen.bundle import pluginlist, updatecenter  # noqa: E402
from jenkinsgen.bundle.pluginlist import PluginRequest  # noqa: E402
from jenkinsgen.bundle.resolve import resolve  # noqa: E402

DATA = ROOT / "tests" / "data" / "update-center"
#: The real update-center.json, kept zipped in the repository; unpacked once per run so the
#: load figures are those of the plain JSON file Jenkins publishes.
_UC_DIR = tempfile.mkdtemp(prefix="jenkinsgen-bench-uc-")
atexit.register(shutil.rmtree, _UC_DIR, True)
with zipfile.ZipFile(DATA / "update-center.actual.zip") as _archive:
    UC = Path(_archive.extract("update-center.actual.json", _UC_DIR))
VERSIONS = DATA / "plugin-versions.zip"
PLUGINS = ROOT / "images" / "controller" / "plugins.txt"
JENKINS = "2.249.3"


def median_ms(runs: int, action: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def anchor_walk(plugins: dict[str, Any], roots: list[str]) -> set[str]:
    seen: set[str] = set()
    stack = list(roots)
    while stack:
        name = stack.pop()
        if name not in seen:
            seen.add(name)
            stack += [d["name"] for d in plugins[name]["dependencies"] if not d["optional"]]
    return seen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    runs = args.runs

    raw = json.loads(UC.read_text(encoding="utf-8"))["plugins"]
    newest = updatecenter.load(str(UC))
    full = updatecenter.load(str(UC), str(VERSIONS))
    # By name: the update center here (2020) predates the versions plugins.txt pins.
    controller = [PluginRequest(r.name) for r in pluginlist.load(PLUGINS)]
    everything = [PluginRequest(name) for name in sorted(newest.latest)]
    controller_roots = [r.name for r in controller]

    rows: list[tuple[str, float, str]] = []
    rows.append(
        (
            "load update-center.json",
            median_ms(runs, lambda: updatecenter.load(str(UC))),
            f"{len(newest.latest)} plugins",
        )
    )
    rows.append(
        (
            "load + plugin-versions.json",
            median_ms(runs, lambda: updatecenter.load(str(UC), str(VERSIONS))),
            f"{full.release_count} releases",
        )
    )
    rows.append(
        (
            "anchor: json.load of update-center.json",
            median_ms(runs, lambda: json.loads(UC.read_bytes())),
            "",
        )
    )
    for label, requests, roots in (
        ("controller plugins.txt", controller, controller_roots),
        ("whole catalogue", everything, sorted(newest.latest)),
    ):
        walked = len(anchor_walk(raw, roots))
        rows.append(
            (
                f"anchor: bare graph walk, {label}",
                median_ms(runs, partial(anchor_walk, raw, roots)),
                f"{walked} plugins",
            )
        )
        for mode, center, latest in (
            ("newest only", newest, False),
            ("all releases, lowest fit", full, False),
            ("all releases, --latest-dependencies", full, True),
        ):
            action = partial(resolve, requests, center, JENKINS, latest_dependencies=latest)
            count = len(action().lock.plugins)
            rows.append((f"resolve {label}, {mode}", median_ms(runs, action), f"{count} plugins"))

    with tempfile.TemporaryDirectory() as tmp:
        names = Path(tmp) / "plugins.txt"  # the controller's plugins by name, as above
        names.write_text("".join(f"{r.name}\n" for r in controller))
        command = [
            str(Path(sys.executable).parent / "jenkinsgen"),
            "-q",
            "bundle",
            "resolve",
            str(names),
            "--update-center",
            str(UC),
            "--plugin-versions",
            str(VERSIONS),
            "--jenkins-version",
            JENKINS,
            "-o",
            str(Path(tmp) / "plugins.lock"),
        ]
        rows.append(
            (
                "end to end: jenkinsgen bundle resolve (controller, all releases)",
                median_ms(runs, lambda: subprocess.run(command, check=True, capture_output=True)),
                "",
            )
        )

    print(f"python {platform.python_version()} on {platform.machine()}, {runs} runs, medians")
    print("| measurement | median ms | size |")
    print("| --- | ---: | --- |")
    for label, ms, size in rows:
        print(f"| {label} | {ms:.1f} | {size} |")


if __name__ == "__main__":
    main()
