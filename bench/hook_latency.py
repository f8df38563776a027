"""Part 1: how long a user's Save waits for our Scene.Update.Post hook, with a big queue database.

The hook is fired as Stash fires it: a new `python Stash2Plex.py` process fed Stash's stdin JSON, timed
from spawn until stdout reached EOF and the process exited. `python -c pass` with the same interpreter is
timed interleaved with it, so machine noise hits both alike and the ratio is what travels between machines.

A hook also spawns a detached drainer when no drainer holds the lease. That drainer's start-up is not
part of the Save, but it would compete for the CPU with the next firing; so a fake owner holds the lease
(far expiry) during the measurement and every firing measures the hook alone. A few firings are then timed as a
single Save meets them, with no drainer running, so each starts one (shown, not judged): each such drainer finds
no Stash and leaves, and is waited for before the next firing. The first measurement keeps the benchmark's own
connection open, as a running drainer does; the second none, so the hook's connection is the last to close and
SQLite checkpoints the WAL on that close (an fsync more, which a busy disk makes costly).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List

from bench.fill import fill_completed
from bench.harness import BenchError, install_plugin
from bench.rss import wait_until_no_plugin_process
from bench.stats import summary
from plugin.paths import ENV_DATA_DIR, db_path
from simulators.stash.runner import GoStruct, go_json
from sync_queue.ackqueue import TABLE as QUEUE_TABLE
from sync_queue.db import connect
from sync_queue.lease import Lease

FAKE_OWNER = "bench:lease-holder"
WARMUP = 3  # first runs write .pyc files and warm the page cache; a user's Save never pays that twice


def hook_stdin(plugin_dir: Path, scene_id: int) -> str:
    """A title edit's Scene.Update.Post, marshalled like Stash's Go code (see simulators/stash/runner.py)."""
    connection = GoStruct(Scheme="http", Host="0.0.0.0", Port=9, SessionCookie=None, Dir=str(plugin_dir.parent),
                          PluginDir=str(plugin_dir))
    context = GoStruct(id=scene_id, type="Scene.Update.Post", input={"id": str(scene_id), "title": "Bench edit"},
                       inputFields=["id", "title"])
    return go_json(GoStruct(server_connection=connection, args={"hookContext": context}))


def _timed_run(argv: List[str], stdin: str, env: Dict[str, str]) -> float:
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    stdout, stderr = proc.communicate(stdin.encode("utf-8"))
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise BenchError(f"{argv[-1]} exited {proc.returncode}: {stderr.decode('utf-8', 'replace')[-500:]}")
    if stdout.strip():
        reply = json.loads(stdout)
        if reply.get("error"):
            raise BenchError(f"hook answered with an error: {reply['error']}")
    return wall


def _starting_a_drainer(hook_argv: List[str], pass_argv: List[str], entry: Path, env: Dict[str, str],
                        firings: int) -> tuple:
    """(hook walls, `python -c pass` walls) of firings that each start a drainer."""
    hooks: List[float] = []
    bare: List[float] = []
    for n in range(firings):
        bare.append(_timed_run(pass_argv, "", env))
        hooks.append(_timed_run(hook_argv, hook_stdin(entry.parent, 1_000_001 + n), env))
        # Gone, and the spawn window (1 s) passed: the next firing starts a drainer again.
        if not wait_until_no_plugin_process(str(entry), 60.0, settle_s=1.1):
            raise BenchError("a drainer started by a hook did not leave")
    return hooks, bare


def run(firings: int, completed_rows: int, spawning: int = 0) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-hook-") as tmp:
        entry = install_plugin(Path(tmp) / "plugins")
        data = Path(tmp) / "data"
        conn = connect(db_path(data))
        try:
            start = time.perf_counter()
            fill_completed(conn, completed_rows)
            fill_s = time.perf_counter() - start
            if not Lease(conn).acquire(FAKE_OWNER, 86_400.0, time.time()):
                raise BenchError("could not take the drainer lease for the measurement")
            env = {**os.environ, ENV_DATA_DIR: str(data), "PYTHONPATH": str(entry.parent.parent)}
            hook_argv = [sys.executable, str(entry)]
            pass_argv = [sys.executable, "-c", "pass"]
            before = _queued(conn)
            hooks: List[float] = []
            bare: List[float] = []
            for n in range(WARMUP + firings):
                # Distinct scenes inside the filled history: each firing meets an existing state row and queues.
                hook_wall = _timed_run(hook_argv, hook_stdin(entry.parent, 1 + n * 7), env)
                pass_wall = _timed_run(pass_argv, "", env)
                if n >= WARMUP:
                    hooks.append(hook_wall)
                    bare.append(pass_wall)
            queued = _queued(conn) - before
            Lease(conn).release(FAKE_OWNER)
        finally:
            conn.close()
        # With no connection of ours open either, as a lone Save meets it: the hook's is the last to close.
        spawned, spawned_bare = _starting_a_drainer(hook_argv, pass_argv, entry, env, spawning)
    hook_stats = summary(hooks)
    pass_stats = summary(bare)
    return {
        "firings": firings,
        "completed_rows": completed_rows,
        "fill_seconds": round(fill_s, 2),
        "jobs_queued_by_hooks": queued,
        "jobs_expected": WARMUP + firings,
        "hook_ms": hook_stats,
        "python_pass_ms": pass_stats,
        "ratio_median": round(hook_stats["median"] / pass_stats["median"], 2),
        **({"starting_a_drainer_ms": summary(spawned),
            "starting_a_drainer_ratio": round(summary(spawned)["median"] / summary(spawned_bare)["median"], 2)}
           if spawned else {}),
        "note": "drainer lease held by a fake owner during the measurement, so no firing spawned a drainer",
    }


def _queued(conn) -> int:
    return int(conn.execute(f"SELECT COUNT(*) FROM {QUEUE_TABLE} WHERE status < 2").fetchone()[0])
