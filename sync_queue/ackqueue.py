"""persist-queue's SQLiteAckQueue table, and everything this plugin knows about it, in one place.

The queue rows live in the table `SQLiteAckQueue` (persist-queue 1.1.0, JSON serializer) creates and reads, so
the queue stays a persist-queue queue: its own tools can inspect, resume and prune it. The plugin writes and
claims rows with plain SQL on its own connection because (a) a hook cannot afford to import persist-queue
(~50 ms), (b) persist-queue's `get()` selects a row and then marks it without re-checking its status (measured:
4 processes over 2,000 rows ran 3-11 rows twice), and (c) acking must commit in the same transaction as the
scene's sync state. persist-queue itself is imported only to resume and prune (`resume`, `prune`).
tests/sync_queue/test_ackqueue.py pins what this module assumes of the pinned version.
"""

from __future__ import annotations

import json
import sqlite3

TABLE = "ack_queue_default"
# persist-queue 1.1.0's exact DDL (sqlackqueue.SQLiteAckQueue._SQL_CREATE).
DDL = (f"CREATE TABLE IF NOT EXISTS {TABLE} "
       "(_id INTEGER PRIMARY KEY AUTOINCREMENT, data BLOB, timestamp FLOAT, status INTEGER)")
# Matches the literal `status < 2` below, so finding open rows stays O(log n) behind the acked ones.
OPEN_INDEX = f"CREATE INDEX IF NOT EXISTS ix_ack_open ON {TABLE}(_id) WHERE status < 2"


class JobStatus:
    """persist-queue's AckStatus numbers: a queue row's life (a scene's is `sync_queue.vocab.SceneStatus`)."""

    INITED = 0  # put, never claimed
    READY = 1  # released back to the queue
    UNACK = 2  # claimed by the drainer
    ACKED = 5  # settled (synced, retry scheduled or dead-lettered): history, pruned hourly
    ACK_FAILED = 9  # unreadable payload, set aside


def encode(payload: dict) -> bytes:
    """A row's `data` exactly as persist-queue's JSON serializer writes it."""
    return json.dumps(payload).encode("utf-8")


def decode(data: bytes) -> dict | None:
    """The payload, or None when the row cannot be read as a job."""
    try:
        payload = json.loads(data)
    except (ValueError, TypeError):
        return None
    return payload if isinstance(payload, dict) and "scene_id" in payload else None


def insert(conn: sqlite3.Connection, payload: dict, now: float) -> int:
    """Writes the row `SQLiteAckQueue.put()` writes; returns its id. The caller holds the write transaction."""
    cursor = conn.execute(f"INSERT INTO {TABLE} (data, timestamp, status) VALUES (?, ?, {JobStatus.INITED})",
                          (encode(payload), now))
    row_id = cursor.lastrowid
    if row_id is None:  # an INSERT always sets it; the type allows None
        raise sqlite3.InterfaceError("the queue row was not written")
    return row_id


def rewrite(conn: sqlite3.Connection, row_id: int, payload: dict) -> None:
    """Replaces a pending row's payload (a coalesced request adding a decision to it)."""
    conn.execute(f"UPDATE {TABLE} SET data = ? WHERE _id = ? AND status < 2", (encode(payload), row_id))


def claim(conn: sqlite3.Connection, limit: int) -> list[tuple[int, dict, float]]:
    """Claims up to `limit` open rows in FIFO order: (row id, payload, timestamp). Caller holds BEGIN IMMEDIATE.

    The `status < 2` guard on each UPDATE states the compare-and-set even though the write lock already
    excludes other claimers. A row nobody can read is set aside, so it cannot crash every drainer forever.
    """
    claimed = []
    rows = conn.execute(f"SELECT _id, data, timestamp FROM {TABLE} WHERE status < 2 ORDER BY _id LIMIT ?",
                        (limit,)).fetchall()
    for row_id, data, timestamp in rows:
        payload = decode(data)
        status = JobStatus.UNACK if payload is not None else JobStatus.ACK_FAILED
        won = conn.execute(f"UPDATE {TABLE} SET status = ? WHERE _id = ? AND status < 2", (status, row_id)).rowcount
        if won and payload is not None:
            claimed.append((row_id, payload, timestamp))
    return claimed


def ack(conn: sqlite3.Connection, row_id: int) -> None:
    conn.execute(f"UPDATE {TABLE} SET status = {JobStatus.ACKED} WHERE _id = ?", (row_id,))


def release(conn: sqlite3.Connection, row_ids: list[int]) -> int:
    """Claimed rows back to ready, at their FIFO place; returns how many were still claimed."""
    return sum(conn.execute(f"UPDATE {TABLE} SET status = {JobStatus.READY} WHERE _id = ? AND status = "
                            f"{JobStatus.UNACK}", (row_id,)).rowcount for row_id in row_ids)


def open_count(conn: sqlite3.Connection) -> int:
    """Rows waiting to be claimed (literal `status < 2`, so the planner uses ix_ack_open)."""
    return int(conn.execute(f"SELECT COUNT(*) FROM {TABLE} WHERE status < 2").fetchone()[0])


def claimed_count(conn: sqlite3.Connection) -> int:
    return int(conn.execute(f"SELECT COUNT(*) FROM {TABLE} WHERE status = {JobStatus.UNACK}").fetchone()[0])


def has_open(conn: sqlite3.Connection) -> bool:
    return conn.execute(f"SELECT EXISTS(SELECT 1 FROM {TABLE} WHERE status < 2)").fetchone()[0] == 1


def _persist_queue(path: str):
    """persist-queue's own handle on the table (imported here only: it costs a hook's whole budget)."""
    import os

    import persistqueue.serializers.json as json_serializer
    from persistqueue.sqlackqueue import SQLiteAckQueue

    return SQLiteAckQueue(os.path.dirname(path), db_file_name=os.path.basename(path), auto_resume=False,
                          serializer=json_serializer, timeout=30.0)


def resume(path: str) -> None:
    """persist-queue's `resume_unack_tasks`: every claimed row back to ready (a new lease holder only)."""
    queue = _persist_queue(path)
    try:
        queue.resume_unack_tasks()
    finally:
        queue.close()


def prune(path: str) -> None:
    """persist-queue's `clear_acked_data`, deleting every acked row. Explicit None/None: other argument
    combinations either keep 1,000 rows or, with a falsy max_delete and keep_latest > 0, emit `OFFSET`
    without `LIMIT` (a syntax error in persist-queue 1.1.0)."""
    queue = _persist_queue(path)
    try:
        queue.clear_acked_data(max_delete=None, keep_latest=None, clear_ack_failed=False)
    finally:
        queue.close()
