"""Jobs that failed for good: kept for the user to inspect, retry, or clear.

Messages are stored as given (the caller redacts secrets before they get here); the length cap only
keeps one runaway error (a whole HTML page) from bloating the database.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from typing import Iterable, List, Optional

from sync_queue.enqueue import EnqueueRequest, apply_requests
from sync_queue.txn import write_txn

MESSAGE_CAP = 2000
RETRY_REASON = "dead_letter_retry"


@dataclass(frozen=True)
class DeadLetter:
    id: int
    scene_id: int
    error_class: str
    message: Optional[str]
    attempts: int
    failed_at: float
    reason: Optional[str]


def cap_message(message: Optional[str]) -> Optional[str]:
    if message is None or len(message) <= MESSAGE_CAP:
        return message
    return message[: MESSAGE_CAP - 1] + "…"


def add(
    conn: sqlite3.Connection,
    scene_id: int,
    error_class: str,
    message: Optional[str],
    attempts: int,
    reason: Optional[str],
    now: Optional[float] = None,
) -> int:
    with write_txn(conn):
        cursor = conn.execute(
            "INSERT INTO dead_letters(scene_id, error_class, message, attempts, failed_at, reason) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (scene_id, error_class, cap_message(message), attempts, time.time() if now is None else now, reason),
        )
        return int(cursor.lastrowid)


def list_dead_letters(conn: sqlite3.Connection, limit: int = 100) -> List[DeadLetter]:
    """Newest first."""
    rows = conn.execute(
        "SELECT id, scene_id, error_class, message, attempts, failed_at, reason FROM dead_letters "
        "ORDER BY id DESC LIMIT ?",
        (limit,),
    )
    return [DeadLetter(*row) for row in rows]


def count(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT COUNT(*) FROM dead_letters").fetchone()[0])


def retry(conn: sqlite3.Connection, ids: Optional[Iterable[int]] = None) -> int:
    """Re-queues the scenes of the given dead letters (all when ids is None) and deletes the letters.

    One transaction: a crash cannot lose a letter without its job, or queue a job and keep the letter.
    The retry is forced (the user asked) and starts with a fresh attempt budget. Returns scenes queued
    or coalesced.
    """
    with write_txn(conn):
        if ids is None:
            rows = conn.execute("SELECT id, scene_id FROM dead_letters ORDER BY id").fetchall()
        else:
            wanted = [int(i) for i in ids]
            rows = [
                row
                for i in wanted
                for row in conn.execute("SELECT id, scene_id FROM dead_letters WHERE id = ?", (i,)).fetchall()
            ]
        scene_ids = list(dict.fromkeys(scene_id for _, scene_id in rows))
        result = apply_requests(conn, [EnqueueRequest(scene_id, RETRY_REASON, force=True) for scene_id in scene_ids])
        conn.executemany("UPDATE scene_state SET attempts = 0 WHERE scene_id = ?", [(s,) for s in scene_ids])
        conn.executemany("DELETE FROM dead_letters WHERE id = ?", [(letter_id,) for letter_id, _ in rows])
        return result.queued + result.coalesced


def clear(conn: sqlite3.Connection, ids: Optional[Iterable[int]] = None) -> int:
    """Deletes the given dead letters (all when ids is None); returns how many were deleted."""
    with write_txn(conn):
        if ids is None:
            return conn.execute("DELETE FROM dead_letters").rowcount
        return sum(conn.execute("DELETE FROM dead_letters WHERE id = ?", (int(i),)).rowcount for i in ids)
