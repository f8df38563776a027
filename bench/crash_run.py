"""Part 7: what a crash costs. A first sync is SIGKILLed at random moments (every plugin process, as an OOM
killer or a reboot would), taken up again by the next task each time, and finished; the writes beyond what a
perfect plugin must send (`bench.needed`) are the price of the kills. Each scene's outcome is settled as soon as
its requests finish, so a kill may repeat only the scenes whose requests were in the air."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import sqlite3
import time
from pathlib import Path

from bench.harness import BenchError, plex_counts
from bench.needed import needed_writes, snapshot
from bench.rig import Rig
from bench.rss import plugin_pids, wait_until_no_plugin_process

SYNC_ALL, PROCESS_QUEUE = "Sync All Scenes to Plex", "Process Queue"
LATENCY_MS = 60  # every Plex request: the sync lasts long enough for every kill to land inside it


def run(scenes: int, kills: int, workdir: Path, seed: int = 7) -> dict:
    rng = random.Random(seed)
    with Rig(scenes, workdir, LATENCY_MS) as rig:
        before = snapshot(rig.plex)
        rig.reset_counts()
        rig.stash.start_task(SYNC_ALL)
        landed = 0
        deadline = time.monotonic() + 600
        while landed < kills and time.monotonic() < deadline:
            time.sleep(rng.uniform(0.3, 1.5))
            victims = plugin_pids(rig.marker)
            for pid in victims:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(int(pid), signal.SIGKILL)
            landed += bool(victims)
            rig.stash.start_task(PROCESS_QUEUE)  # as the next edit or task would
        for _ in range(3):  # whatever the last kill interrupted
            rig.stash.run_task(PROCESS_QUEUE)
        if not wait_until_no_plugin_process(rig.marker, 600):
            raise BenchError("the drainer was still running 600 s after the last kill")
        counts = plex_counts(rig.plex)
        needed = needed_writes(before, snapshot(rig.plex))
        left = _left_in_queue(rig.data_dir / "stash2plex.sqlite3")
    extra_edits = counts.get("edit", 0) - needed["edits"]
    extra_posters = counts.get("poster", 0) - needed["posters"]
    return {"crash": {
        "scenes": scenes,
        "kills": landed,
        "needed": needed,
        "extra_edits": extra_edits,
        "extra_posters": extra_posters,
        "extra_edits_per_kill": round(extra_edits / landed, 2) if landed else None,
        "extra_posters_per_kill": round(extra_posters / landed, 2) if landed else None,
        "jobs_left": left,
    }}


def _left_in_queue(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT COUNT(*) FROM ack_queue_default WHERE status < 5").fetchone()[0]
    finally:
        conn.close()
