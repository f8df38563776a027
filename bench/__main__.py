"""``python -m bench [--smoke] [--out bench/results]``: every benchmark, a table on stdout, JSON and a plot in --out.

Full sizes are the issue's (DESIGN.md "Performance targets"); --smoke runs the same code on tiny sizes so
CI proves the command still works, without judging the targets (tiny sizes say nothing about them).
A full run exits 0 only when every target is met (1 otherwise, a part that failed counting as not met), and
always writes latest.json and, when --out is bench/results, the README's table and the sentence under it.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import List, Tuple

from bench import crash_run, enqueue_scaling, hook_latency, latency_model, readme, reconcile_run, sync_run, ui_status
from bench.report import all_met, rows, write
from bench.rig import LONG_DETAILS


@dataclass(frozen=True)
class Sizes:
    hook_firings: int
    hook_rows: int
    enqueue_rows: Tuple[int, ...]
    enqueue_samples: int
    sync_scenes: int
    changed_scenes: int
    reconcile_scenes: int
    drain_seconds: float
    model_scenes: int
    crash_scenes: int
    crash_kills: int
    spawning_firings: int
    plex_latency_ms: int = 2


FULL = Sizes(hook_firings=50, hook_rows=350_000, enqueue_rows=(1_000, 10_000, 100_000, 350_000), enqueue_samples=300,
             sync_scenes=10_000, changed_scenes=1_000, reconcile_scenes=100_000, drain_seconds=180.0,
             model_scenes=2_000, crash_scenes=500, crash_kills=5, spawning_firings=10)
SMOKE = Sizes(hook_firings=5, hook_rows=5_000, enqueue_rows=(1_000, 5_000), enqueue_samples=30,
              sync_scenes=200, changed_scenes=10, reconcile_scenes=300, drain_seconds=2.0, model_scenes=40,
              crash_scenes=60, crash_kills=1, spawning_firings=2)


def _notes(sizes: Sizes, smoke: bool) -> List[str]:
    notes = [
        "hook: the drainer lease was held by a fake owner while hooks were timed, so no firing spawned a drainer; "
        "then a few firings with no drainer running were timed apart (each starts one, as a lone Save does)",
        "plugin processes may write bytecode (PYTHONDONTWRITEBYTECODE removed), as under Stash: a run compiling "
        "every module took 35 ms per hook instead of 21",
        f"plugin settings: path_map set, reconcile_interval 0 (no auto-reconcile inside measured syncs); "
        f"Plex latency {sizes.plex_latency_ms} ms",
        "sync and change walls run until every plugin process (the detached drainer too) has exited",
        "reconcile: ends where the task's progress reaches 0.1; drain-kind requests counted by then are excluded; "
        "the library was never synced (the issue's unchanged 100,000-scene library would need a full sync first): "
        "Plex sees the same listing requests, Stash the same pages",
        "latency model (part 6): Plex reads 5 ms, writes 25 ms one at a time, listings 1 ms/item, posters 60 ms; "
        "the write limit is what a perfect plugin must send (one edit per item whose Plex fields changed, one "
        "upload per changed cover, read from Plex's state before and after), not the writes the plugin made; "
        "plugin CPU from /proc of the plugin processes; another client reads every 50 ms during the first sync, "
        "and waits behind the writes ahead of it",
        f"{round(100 * LONG_DETAILS)}% of the scenes have details of 1,500-4,000 characters (most over 2,000 bytes "
        "URL-encoded)",
        "crash (part 7): every plugin process SIGKILLed at random moments of a first sync with 60 ms Plex latency, "
        "Process Queue after each kill; extra writes are those beyond what a perfect plugin must send",
        "drain RSS: VmHWM of the plugin processes sampled via /proc; the 100,000-job figure is extrapolated "
        "linearly from the measured series unless that many jobs were drained",
    ]
    if smoke:
        notes.insert(0, "SMOKE sizes: the figures prove the command works; the targets are not meaningful here")
    return notes


def run(sizes: Sizes, out: Path, smoke: bool) -> dict:
    started = time.perf_counter()
    results: dict = {
        "meta": {"smoke": smoke, "sizes": asdict(sizes), "python": platform.python_version(),
                 "cpus": os.cpu_count(), "platform": platform.platform()},
        "notes": _notes(sizes, smoke),
    }
    failures: List[str] = []
    with tempfile.TemporaryDirectory(prefix="stash2plex-bench-") as tmp:
        work = Path(tmp)
        parts = [
            ("1/7 hook latency", lambda: {"hook_latency": hook_latency.run(sizes.hook_firings, sizes.hook_rows,
                                                                              sizes.spawning_firings)}),
            ("2/7 enqueue scaling", lambda: {"enqueue_scaling": enqueue_scaling.run(
                sizes.enqueue_rows, sizes.enqueue_samples, out / "enqueue_scaling.png")}),
            ("3/7 first sync, change, re-sync", lambda: sync_run.run(
                sizes.sync_scenes, sizes.changed_scenes, sizes.plex_latency_ms, work / "sync")),
            ("4/7 reconcile and drain memory", lambda: reconcile_run.run(
                sizes.reconcile_scenes, sizes.drain_seconds, sizes.plex_latency_ms, work / "reconcile")),
            ("5/7 first sync under the latency model", lambda: latency_model.run(sizes.model_scenes, work / "model")),
            ("6/7 SIGKILLs during a first sync", lambda: crash_run.run(
                sizes.crash_scenes, sizes.crash_kills, work / "crash")),
            ("7/7 the UI's status operation, 40 scenes", lambda: {"ui_status": ui_status.run(sizes.hook_rows,
                                                                                            sizes.hook_firings)}),
        ]
        for label, part in parts:
            _step(label, lambda part=part: results.update(part()), failures)
    results["notes"] += failures
    results["meta"]["failed_parts"] = failures
    results["meta"]["total_wall_s"] = round(time.perf_counter() - started, 1)
    return results


def _step(label: str, action, failures: List[str]) -> None:
    """Runs one part; a part that fails is reported (its figures stay unmeasured, so not met) and the others
    still run, so the results and the README are always written."""
    print(f"bench: {label} ...", file=sys.stderr, flush=True)
    start = time.perf_counter()
    try:
        action()
    except Exception as exc:  # noqa: BLE001 - any failure of a part is a result to report, not a crash
        failures.append(f"{label} failed: {type(exc).__name__}: {exc}")
        print(f"bench: {label} FAILED: {exc}", file=sys.stderr, flush=True)
        return
    print(f"bench: {label} done in {time.perf_counter() - start:.1f} s", file=sys.stderr, flush=True)


def main(argv: List[str] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes (< 60 s), for CI")
    parser.add_argument("--out", type=Path, default=Path("bench/results"), help="where results.json, "
                        "report.txt and enqueue_scaling.png go")
    args = parser.parse_args(argv)
    # Stash starts the plugin with its own environment, so the installed plugin's bytecode is written on its first
    # run and read from then on. A shell that forbids writing bytecode (PYTHONDONTWRITEBYTECODE, set on some
    # development machines and CI images) would make every plugin process compile every module again: the
    # benchmarks would time the compiler. Every process they start inherits this.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    sizes = SMOKE if args.smoke else FULL
    results = run(sizes, args.out, args.smoke)
    title = f"Stash2Plex benchmarks ({'smoke' if args.smoke else 'full'}; {results['meta']['total_wall_s']} s)"
    print(write(results, args.out, title))
    if args.smoke:  # tiny sizes judge nothing: the command worked if every part ran
        return 1 if results["meta"]["failed_parts"] else 0
    if args.out.resolve() == readme.RESULTS.resolve():
        readme.update(readme.RESULTS / "latest.json")
    met = all_met(rows(results))
    print(f"bench: {'every target met' if met else 'NOT every target met'}", file=sys.stderr)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
