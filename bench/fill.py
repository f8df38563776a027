"""A queue database with a long history: completed jobs written straight in persist-queue's row format.

350,000 enqueue() calls would take minutes of fsyncs; one transaction of plain INSERTs takes seconds and
leaves the same rows a long-running plugin leaves behind (acked queue rows plus synced scene states).
"""

from __future__ import annotations

import json
import sqlite3
import time

from sync_queue.ackqueue import TABLE as QUEUE_TABLE
from sync_queue.ackqueue import JobStatus
from sync_queue.txn import write_txn

ACKED = JobStatus.ACKED
LIBRARY_SCENES = 100_000  # history is spread over a library this size (several syncs per scene)
_CHUNK = 10_000


def completed_rows(conn: sqlite3.Connection) -> int:
    return int(conn.execute(f"SELECT COUNT(*) FROM {QUEUE_TABLE} WHERE status = ?", (ACKED,)).fetchone()[0])


def fill_completed(conn: sqlite3.Connection, total: int, library_scenes: int = LIBRARY_SCENES) -> int:
    """Adds acked rows until the queue table holds `total` of them; returns how many were added.

    Scene ids cycle through the library, and each scene's state points at its latest job and is marked
    synced, as after real drains. Hooks for scenes in this range meet an existing state row (the common case).
    """
    start = completed_rows(conn)
    now = time.time()
    synced_at = "2024-01-01T00:00:00Z"
    with write_txn(conn):
        for chunk_start in range(start, total, _CHUNK):
            chunk_end = min(total, chunk_start + _CHUNK)
            rows = []
            for n in range(chunk_start, chunk_end):
                scene_id = n % library_scenes + 1
                payload = {"scene_id": scene_id, "reason": "sync_all", "enqueued_at": now}
                rows.append((json.dumps(payload).encode("utf-8"), now, ACKED))
            cursor = conn.execute(f"SELECT COALESCE(MAX(_id), 0) FROM {QUEUE_TABLE}")
            first_id = int(cursor.fetchone()[0]) + 1
            conn.executemany(f"INSERT INTO {QUEUE_TABLE} (data, timestamp, status) VALUES (?, ?, ?)", rows)
            states = [
                (n % library_scenes + 1, first_id + (n - chunk_start), synced_at, now, now)
                for n in range(chunk_start, chunk_end)
            ]
            conn.executemany(
                "INSERT INTO scene_state (scene_id, job_id, last_synced_updated_at, last_synced_epoch, status, "
                "synced_at) VALUES (?, ?, ?, ?, 'synced', ?) "
                "ON CONFLICT(scene_id) DO UPDATE SET job_id = excluded.job_id",
                states,
            )
    return total - start
