"""Runs the Stash simulator as a process: prints one STASH_URL=... line, serves until SIGTERM/SIGINT."""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from simulators.shared import LATEST_RELEASE, STASH_SCHEMAS
from simulators.stash.server import StashSimulator


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simulators.stash", description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--scenes", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--plugins-dir", default=None)
    parser.add_argument("--api-key", default=None)
    parser.add_argument("--long-details", type=float, default=0.0,
                        help="share of scenes (0..1) whose details are 1,500-4,000 characters long")
    parser.add_argument("--python", default=None, help="interpreter used for plugins whose exec is python/python3")
    parser.add_argument("--stash-version", default=LATEST_RELEASE, choices=list(STASH_SCHEMAS),
                        help="the Stash whose real schema (from ../shared) every document must validate against")
    args = parser.parse_args(argv)

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    sim = StashSimulator(scenes=args.scenes, seed=args.seed, plugins_dir=args.plugins_dir, api_key=args.api_key,
                         python=args.python, port=args.port, version=args.stash_version,
                         long_details=args.long_details)
    sim.start()
    try:
        print(f"STASH_URL={sim.url}", flush=True)
        for level, line in sim.log:
            print(f"{level}: {line}", file=sys.stderr, flush=True)
        stop.wait()
    finally:
        sim.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
