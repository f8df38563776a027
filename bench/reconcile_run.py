"""Part 5: a full reconcile of a large library, and the memory of a long drain.

"Reconcile Library (All)" reconciles (progress 0..0.1), then drains what it found in the same process.
On a fresh library that is every scene, far more drain than fits the benchmark's time; so:
- the reconcile ends where the task's progress reaches 0.1 (read through findJob); its figures are the wall
  time to that point, the requests of the reconcile's kinds (listings and scene pages: the drain's PUTs,
  posters, covers and scene-by-id fetches, if its first batch already started, are counted apart), and the
  peak RSS so far;
- the drain that follows runs for a fixed time while the drainer's peak RSS is sampled against the jobs it
  completed; then it gets SIGTERM (its graceful stop) and the 100,000-job figure is a linear
  extrapolation of that series, reported as such.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import time
from pathlib import Path
from typing import Dict, List, Tuple

from bench.harness import BenchError, plex_counts, stash_counts
from bench.rig import Rig
from bench.rss import PeakRss, plugin_pids, wait_until_no_plugin_process
from plugin.paths import db_path

RECONCILE_ALL = "Reconcile Library (All)"
RECONCILE_SHARE = 0.1  # tasks/sync.py gives the reconcile the first tenth of the progress bar
DRAIN_TARGET_JOBS = 100_000
PLEX_DRAIN_KINDS = ("edit", "poster", "rate", "refresh", "item")
STASH_DRAIN_KINDS = ("FindScenesByIds", "GET /scene/screenshot")


def _split(counts: Dict[str, int], drain_kinds: Tuple[str, ...]) -> Tuple[int, int]:
    drain = sum(counts.get(kind, 0) for kind in drain_kinds)
    return counts.get("total", 0) - drain, drain


def _completed_jobs(data_dir: Path) -> int:
    conn = sqlite3.connect(f"file:{db_path(data_dir)}?mode=ro", uri=True, timeout=30)
    try:
        return int(conn.execute("SELECT COUNT(*) FROM ack_queue_default WHERE status = 5").fetchone()[0])
    finally:
        conn.close()


def _reconcile(rig: Rig, rss: PeakRss, timeout: float) -> Tuple[str, dict]:
    start = time.perf_counter()
    job_id = rig.stash.start_task(RECONCILE_ALL)
    while True:
        job = rig.stash.job(job_id)
        if job.get("status") in ("FINISHED", "CANCELLED", "FAILED") or (job.get("progress") or 0) >= RECONCILE_SHARE:
            break
        if time.perf_counter() - start > timeout:
            raise BenchError(f"the reconcile had not finished after {timeout:.0f} s")
        time.sleep(0.05)
    wall = time.perf_counter() - start
    rss.sample()
    plex, stash = plex_counts(rig.plex), stash_counts(rig.stash_sim)
    plex_reconcile, plex_drain = _split(plex, PLEX_DRAIN_KINDS)
    stash_reconcile, stash_drain = _split(stash, STASH_DRAIN_KINDS)
    return job_id, {
        "scenes": rig.scenes,
        "wall_s": round(wall, 2),
        "plex_requests_total": plex_reconcile,
        "scenes_per_plex_request": round(rig.scenes / plex_reconcile) if plex_reconcile else None,
        "stash_requests_total": stash_reconcile,
        "drain_requests_already_counted": {"plex": plex_drain, "stash": stash_drain},
        "plex_requests": plex,
        "stash_requests": stash,
        "peak_rss_mb": rss.peak_mb,
    }


def _drain_series(rig: Rig, rss: PeakRss, seconds: float) -> List[Tuple[int, float]]:
    series: List[Tuple[int, float]] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(min(1.0, seconds / 10))
        rss.sample()
        if rss.peak_mb is not None:
            series.append((_completed_jobs(rig.data_dir), rss.peak_mb))
    return series


def _extrapolate(series: List[Tuple[int, float]], target: int) -> Dict:
    """Growth from the middle of the series to its end (start-up is not growth), carried on to `target`."""
    done, peak = series[-1]
    mid_done, mid_peak = series[len(series) // 2]
    slope = (peak - mid_peak) / (done - mid_done) if done > mid_done else 0.0
    estimate = peak + max(0.0, slope) * max(0, target - done)
    return {
        "jobs_drained": done,
        "peak_rss_mb_measured": peak,
        "growth_mb_per_1000_jobs": round(slope * 1000, 3),
        "rss_mb_at_target": round(estimate, 1),
        "basis": (f"{done:,} jobs measured, extrapolated to {target:,}" if done < target
                  else f"{done:,} jobs measured"),
        "series": series,
    }


def _stop_drain(rig: Rig) -> None:
    """SIGTERM to the plugin processes: the drainer finishes or releases its batch and releases the lease."""
    for pid in plugin_pids(rig.marker):
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(pid), signal.SIGTERM)
    if not wait_until_no_plugin_process(rig.marker, timeout=60.0, settle_s=0.2):
        raise BenchError("the drainer did not stop within 60 s of SIGTERM")


def run(scenes: int, drain_seconds: float, latency_ms: int, workdir: Path) -> Dict[str, dict]:
    with Rig(scenes, workdir, latency_ms) as rig:
        rig.reset_counts()
        with PeakRss(rig.marker) as rss:
            job_id, reconcile = _reconcile(rig, rss, timeout=600.0)
            series = _drain_series(rig, rss, drain_seconds)
            if not series:
                raise BenchError("no drainer process was seen after the reconcile")
            _stop_drain(rig)
        summary = next((msg for level, msg in _task_logs(rig, job_id) if msg.startswith("Reconcile (")), None)
        reconcile["summary"] = summary
        memory = _extrapolate(series, DRAIN_TARGET_JOBS)
        memory["library_scenes"] = scenes
        return {"reconcile": reconcile, "drain_memory": memory}


def _task_logs(rig: Rig, job_id: str) -> List[Tuple[str, str]]:
    record = next((r for r in rig.stash.runs() if r.get("job_id") == job_id), {})
    return [tuple(x) for x in record.get("logs", [])]
