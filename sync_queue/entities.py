"""Renames of performers, tags, studios and groups seen by hooks, waiting for the drainer to expand them.

A hook cannot ask Stash which scenes carry the entity (no time, no network in the hook path), so it leaves
one coalesced row per entity; the drainer queues the scenes, then marks the request done. A rename that
arrives while the drainer is expanding an older one is kept (requested_at moved on).
"""

from __future__ import annotations

import sqlite3
import time

from plugin.record import Record
from sync_queue.txn import write_txn

KINDS = ("performer", "tag", "studio", "group")


class EntityRequest(Record):
    kind: str
    entity_id: int
    requested_at: float
    __slots__ = tuple(__annotations__)

    def __init__(self, kind: str, entity_id: int, requested_at: float) -> None:
        self._init(kind, entity_id, requested_at)


class EntityRequests:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def add(self, kind: str, entity_id: int, now: float | None = None) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown entity kind {kind!r}; expected one of {', '.join(KINDS)}")
        with write_txn(self._conn):
            self._conn.execute(
                "INSERT INTO entity_requests(kind, entity_id, requested_at) VALUES (?, ?, ?) "
                "ON CONFLICT(kind, entity_id) DO UPDATE SET requested_at = excluded.requested_at",
                (kind, int(entity_id), time.time() if now is None else now))

    def pending(self, limit: int = 100) -> list[EntityRequest]:
        rows = self._conn.execute(
            "SELECT kind, entity_id, requested_at FROM entity_requests ORDER BY requested_at LIMIT ?", (limit,))
        return [EntityRequest(*row) for row in rows]

    def any_pending(self) -> bool:
        return self._conn.execute("SELECT EXISTS(SELECT 1 FROM entity_requests)").fetchone()[0] == 1

    def done(self, request: EntityRequest) -> bool:
        """Deletes the request unless it was renewed meanwhile; True when it was deleted."""
        with write_txn(self._conn):
            return self._conn.execute(
                "DELETE FROM entity_requests WHERE kind = ? AND entity_id = ? AND requested_at = ?",
                (request.kind, request.entity_id, request.requested_at)).rowcount == 1
