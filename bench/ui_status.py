"""Part 7: the UI's `status` operation for a page of 40 scenes, on a database with a long history.

Timed twice: as Stash runs it for the page (a new `python Stash2Plex.py` process fed runPluginOperation's stdin,
from spawn until it exited), and the operation alone in this process (opening the database included), which is
what the plugin adds to Python's start-up. `python -c pass` is timed interleaved with the process, as for hooks.
No Plex or Stash server exists here: the operation must not need one.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import List

from bench.fill import fill_completed
from bench.harness import BenchError, install_plugin
from bench.hook_latency import WARMUP, _timed_run
from bench.stats import summary
from plugin.io import read_input
from plugin.paths import ENV_DATA_DIR, db_path
from simulators.stash.runner import GoStruct, go_json
from sync_queue import Store, meta
from sync_queue.index import PlexItemRecord
from sync_queue.txn import write_txn

PAGE = 40  # scene cards on one Stash page
FIRST_KEY = 500_000


def operation_stdin(plugin_dir: Path, scene_ids: List[int]) -> str:
    """runPluginOperation's stdin: the server connection and the page's args, no defaultArgs (plugins.go)."""
    connection = GoStruct(Scheme="http", Host="0.0.0.0", Port=9, SessionCookie=None, Dir=str(plugin_dir.parent),
                          PluginDir=str(plugin_dir))
    args = {"operation": "status", "scene_ids": [str(i) for i in scene_ids]}
    return go_json(GoStruct(server_connection=connection, args=args))


def _prepare(data: Path, completed_rows: int, scene_ids: List[int]) -> None:
    """A synced library's history, the page's scenes each on a Plex item the stored index holds."""
    with Store(db_path(data)) as store:
        fill_completed(store._conn, completed_rows)
        store.index.replace_section(1, [PlexItemRecord(FIRST_KEY + i, 1, [(f"/data/{i}.mp4", 1)]) for i in scene_ids])
        with write_txn(store._conn):
            store._conn.executemany("UPDATE scene_state SET plex_keys = ? WHERE scene_id = ?",
                                    [(json.dumps([FIRST_KEY + i]), i) for i in scene_ids])
        store.meta.set(meta.PLEX_MACHINE_ID, "bench-machine")
        store.meta.set(meta.PLEX_WEB_URL, "http://127.0.0.1:32400")


def run(completed_rows: int, samples: int) -> dict:
    scene_ids = list(range(1_001, 1_001 + PAGE))
    with tempfile.TemporaryDirectory(prefix="bench-ui-") as tmp:
        entry = install_plugin(Path(tmp) / "plugins")
        data = Path(tmp) / "data"
        _prepare(data, completed_rows, scene_ids)
        stdin = operation_stdin(entry.parent, scene_ids)
        env = {**os.environ, ENV_DATA_DIR: str(data), "PYTHONPATH": str(entry.parent.parent)}
        processes: List[float] = []
        bare: List[float] = []
        for n in range(WARMUP + samples):
            process_wall = _timed_run([sys.executable, str(entry)], stdin, env)
            pass_wall = _timed_run([sys.executable, "-c", "pass"], "", env)
            if n >= WARMUP:
                processes.append(process_wall)
                bare.append(pass_wall)
        in_process = _in_process(data, stdin, samples)
    return {"scene_ids": PAGE, "completed_rows": completed_rows, "process_ms": summary(processes),
            "python_pass_ms": summary(bare), "operation_ms": summary(in_process)}


def _in_process(data: Path, stdin: str, samples: int) -> List[float]:
    from tasks.operations import run_operation

    previous = os.environ.get(ENV_DATA_DIR)
    os.environ[ENV_DATA_DIR] = str(data)
    try:
        plugin_input = read_input(stdin)
        walls = []
        for n in range(WARMUP + samples):
            start = time.perf_counter()
            answer = run_operation(plugin_input)
            wall = time.perf_counter() - start
            if len(answer["scenes"]) != PAGE or not all(v["links"] for v in answer["scenes"].values()):
                raise BenchError(f"status answered {answer!r:.300}")
            if n >= WARMUP:
                walls.append(wall)
        return walls
    finally:
        if previous is None:
            os.environ.pop(ENV_DATA_DIR, None)
        else:
            os.environ[ENV_DATA_DIR] = previous
