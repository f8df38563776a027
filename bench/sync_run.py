"""Parts 2 and 3: a first Sync All of a fresh library, then edits on some scenes, then a re-sync of nothing.

Everything goes through the real front doors: Sync All is a task queued with runPluginTask and followed
with findJob; the edits are one bulkSceneUpdate, so Stash fires one hook process per scene and the hooks
start the detached drainer. Requests are counted by the simulators (/_sim/stats), memory is watched
through /proc (bench/rss.py).
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Dict, List

from bench.harness import BenchError, plex_counts, stash_counts
from bench.needed import needed_writes, snapshot
from bench.rig import Rig, against_needed, per_scene, writes
from bench.rss import PeakRss, wait_until_no_plugin_process

SYNC_ALL = "Sync All Scenes to Plex"
HOOK_THREADS = 2  # concurrent bulk edits, as several browser tabs or a script would send; 2 cores


def first_sync(rig: Rig) -> dict:
    run = rig.timed_task(SYNC_ALL, needed=True)
    scenes = rig.scenes
    return {
        "scenes": scenes,
        **against_needed(run["plex"], run["needed"]),
        "wall_s": run["wall_s"],
        "scenes_per_s": round(scenes / run["wall_s"], 1),
        "plex_requests_per_scene": per_scene(run["plex"], scenes),
        "plex_requests": run["plex"],
        "stash_requests": run["stash"],
        "peak_rss_mb": run["peak_rss_mb"],
        "task_output": run["output"],
    }


def changed_ids(scenes: int, changed: int) -> List[int]:
    """Spread over the whole library, so edits hit every page and folder of it."""
    step = max(1, scenes // changed)
    return [1 + n * step for n in range(min(changed, scenes))]


def metadata_change(rig: Rig, changed: int, drain_timeout: float = 900.0) -> dict:
    """One bulk edit of `details` on `changed` scenes, hooks and all, until the drainer has finished."""
    ids = changed_ids(rig.scenes, changed)
    chunks = [ids[n::HOOK_THREADS] for n in range(HOOK_THREADS)]
    before = snapshot(rig.plex)
    rig.reset_counts()
    with PeakRss(rig.marker) as rss:
        start = time.perf_counter()
        with ThreadPoolExecutor(HOOK_THREADS) as pool:
            list(pool.map(lambda chunk: rig.stash.bulk_update(chunk, {"details": "Edited for the benchmark"}),
                          chunks))
        hooks_done = time.perf_counter() - start
        if not wait_until_no_plugin_process(rig.marker, drain_timeout):
            raise BenchError(f"the drainer was still running {drain_timeout:.0f} s after the edits")
        wall = time.perf_counter() - start
    plex = plex_counts(rig.plex)
    return {
        "changed_scenes": len(ids),
        **against_needed(plex, needed_writes(before, snapshot(rig.plex))),
        "hooks_wall_s": round(hooks_done, 2),
        "wall_s": round(wall, 2),
        "plex_requests_per_changed_scene": round(plex.get("total", 0) / len(ids), 3),
        "plex_writes_per_changed_scene": round(writes(plex) / len(ids), 3),
        "plex_requests": plex,
        "stash_requests": stash_counts(rig.stash_sim),
        "peak_rss_mb": rss.peak_mb,
    }


def unchanged_resync(rig: Rig) -> dict:
    run = rig.timed_task(SYNC_ALL)
    return {
        "scenes": rig.scenes,
        "wall_s": run["wall_s"],
        "plex_writes": writes(run["plex"]),
        "plex_requests_total": run["plex"].get("total", 0),
        "stash_requests_total": run["stash"]["total"],
        "plex_requests": run["plex"],
        "stash_requests": run["stash"],
        "task_output": run["output"],
    }


def run(scenes: int, changed: int, latency_ms: int, workdir: Path) -> Dict[str, dict]:
    with Rig(scenes, workdir, latency_ms) as rig:
        return {
            "first_sync": first_sync(rig),
            "metadata_change": metadata_change(rig, changed),
            "unchanged_resync": unchanged_resync(rig),
        }
