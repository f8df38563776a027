"""Is there anything for a drainer to do? One cheap read, for hooks deciding whether to start one."""

from __future__ import annotations

import sqlite3

from sync_queue.schema import QUEUE_TABLE

_WORK_WAITING = f"""SELECT EXISTS(SELECT 1 FROM {QUEUE_TABLE} WHERE status < 2)
    OR EXISTS(SELECT 1 FROM scene_state WHERE next_attempt_at IS NOT NULL AND next_attempt_at <= ?)
    OR EXISTS(SELECT 1 FROM entity_requests)
    OR EXISTS(SELECT 1 FROM meta WHERE key = 'reconcile_requested' AND value != '')"""


def work_waiting(conn: sqlite3.Connection, now: float) -> bool:
    """Ready jobs, retries that are due, renames to expand, or a reconcile request (all indexed reads)."""
    return bool(conn.execute(_WORK_WAITING, (now,)).fetchone()[0])
