"""Runs one release operation and SIGKILLs itself at a named step (a crash of the CLI).

    python -m tests.release.crashdriver SPEC ENV SERVICE deploy|confirm|rollback \
        [--image IMAGE] [--kill-at STEP] [--list]

The library calls its ``step`` hook after writing the state and before each side effect;
the driver kills its own process with SIGKILL when the step named ``--kill-at`` comes, so
nothing after it runs (no cleanup, no finally). ``--list`` prints every step and finishes.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys

from jenkinsgen.release import Hooks, Site, confirm, connect_engine, deploy, rollback
from jenkinsgen.spec import load_spec


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("spec")
    parser.add_argument("environment")
    parser.add_argument("service")
    parser.add_argument("operation", choices=["deploy", "confirm", "rollback"])
    parser.add_argument("--image")
    parser.add_argument("--kill-at")
    parser.add_argument("--list", action="store_true")
    args = parser.parse_args()

    def step(name: str, message: str) -> None:
        if args.list:
            print(name, flush=True)
        if name == args.kill_at:
            print(f"killed at {name}", flush=True)
            os.kill(os.getpid(), signal.SIGKILL)

    spec = load_spec(args.spec)
    probe = Site(spec, args.environment, None)
    site = Site(spec, args.environment, connect_engine(probe.release), hooks=Hooks(step=step))
    if args.operation == "deploy":
        record = deploy(site, args.service, args.image)
    elif args.operation == "confirm":
        record = confirm(site, args.service)
    else:
        record = rollback(site, args.service)
    print(f"finished: {record.status}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
