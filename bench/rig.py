"""One benchmark rig: both simulators and the installed plugin for a library size, and how to read them.

Counts come from the simulators (/_sim/stats), memory from /proc (bench/rss.py); a task's wall time runs
until every plugin process it caused (the detached drainer included) has left.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Dict, List

from bench.harness import (
    BenchError,
    SimProcess,
    Stash,
    install_plugin,
    plex_counts,
    plugin_settings,
    start_plex,
    start_stash,
    stash_counts,
)
from bench.needed import needed_writes, snapshot
from bench.rss import PeakRss, wait_until_no_plugin_process

PLEX_KINDS = {"listing": "listing GET", "lookup": "file look-up GET", "item": "item GET", "edit": "PUT",
              "poster": "poster POST"}
WRITE_KINDS = ("edit", "poster", "rate", "refresh")
# Share of scenes whose details are long (1,500-4,000 characters, most over 2,000 bytes encoded), as in the
# libraries issue 21 measured (~37%): a plugin that splits long summaries off pre-emptively shows it.
LONG_DETAILS = 0.37


def per_scene(counts: Dict[str, int], scenes: int) -> Dict[str, float]:
    out = {label: round(counts.get(kind, 0) / scenes, 3) for kind, label in PLEX_KINDS.items()}
    out["all"] = round(counts.get("total", 0) / scenes, 3)
    return out


def writes(counts: Dict[str, int]) -> int:
    return sum(counts.get(kind, 0) for kind in WRITE_KINDS)


def against_needed(counts: Dict[str, int], needed: Dict[str, int]) -> dict:
    """The plugin's requests against what a perfect plugin sends (`bench.needed`): requests per synced item,
    edit PUTs per changed item, all writes over the needed ones. Folder scans (scan_new_files) and the file
    look-ups after them are made for the scenes Plex lacks, not for synced items: they are counted apart
    , not in the requests per synced item."""
    edits, total = needed["edits"], needed["edits"] + needed["posters"]
    ratio = lambda part, whole: round(part / whole, 3) if whole else None  # noqa: E731
    scans, lookups = counts.get("refresh", 0), counts.get("lookup", 0)
    return {"needed_edits": edits, "needed_posters": needed["posters"], "folder_scans": scans,
            "file_lookups": lookups,
            "plex_requests_per_synced_item": ratio(counts.get("total", 0) - scans - lookups, edits),
            "puts_per_changed_item": ratio(counts.get("edit", 0), edits),
            "writes_over_needed": ratio(writes(counts), total)}


class Rig:
    """Both simulators and the installed plugin for one library size; a context manager that stops them."""

    def __init__(self, scenes: int, workdir: Path, latency_ms: int, plex_args: tuple = (),
                 long_details: float = LONG_DETAILS) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        self.scenes = scenes
        self.entry = install_plugin(workdir / "plugins")
        self.data_dir = workdir / "data"
        self.marker = str(self.entry)
        self._sims: List[SimProcess] = []
        plex = start_plex(scenes, workdir, latency_ms, extra_args=plex_args)
        self._sims.append(plex)
        stash = start_stash(scenes, workdir, workdir / "plugins", self.data_dir, long_details=long_details)
        self._sims.append(stash)
        self.plex = plex.ready()
        self.stash_sim = stash.ready()
        self.stash = Stash(stash)
        self.stash.configure(plugin_settings(self.plex))

    def __enter__(self) -> Rig:
        return self

    def __exit__(self, *exc: object) -> None:
        wait_until_no_plugin_process(self.marker, timeout=30.0, settle_s=0.2)
        for sim in self._sims:
            sim.stop()

    def reset_counts(self) -> None:
        self.plex.reset_stats()
        self.stash_sim.reset_stats()

    def timed_task(self, name: str, drain_timeout: float = 900.0, needed: bool = False) -> dict:
        """Runs a task, then waits for any drainer it left behind; wall, counts and peak RSS of the whole. With
        `needed`, also the writes a perfect plugin had to make (`bench.needed`, Plex read before and after,
        outside the timed part)."""
        before = snapshot(self.plex) if needed else None
        self.reset_counts()
        with PeakRss(self.marker) as rss:
            start = time.perf_counter()
            record = self.stash.run_task(name)
            if not wait_until_no_plugin_process(self.marker, drain_timeout):
                raise BenchError(f"a drainer was still running {drain_timeout:.0f} s after {name!r}")
            wall = time.perf_counter() - start
        run = {"wall_s": round(wall, 2), "output": record.get("output"), "plex": plex_counts(self.plex),
               "stash": stash_counts(self.stash_sim), "peak_rss_mb": rss.peak_mb, "plugin_processes": rss.processes,
               "plugin_cpu_s": rss.cpu_s, "plex_writer": self.plex.stats()["writer"]}
        if before is not None:
            run["needed"] = needed_writes(before, snapshot(self.plex))
        return run
