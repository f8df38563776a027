"""Jobs that failed for good: kept for the user to list, retry or clear.

Messages are stored as given (the caller redacts secrets before they get here); the length cap only keeps one
runaway error (a whole HTML page) from bloating the database.
"""

from __future__ import annotations

import sqlite3

from plugin.record import Record
from sync_queue import dedup
from sync_queue.dedup import EnqueueRequest
from sync_queue.txn import write_txn
from sync_queue.vocab import Reason

MESSAGE_CAP = 2000


class DeadLetter(Record):
    id: int
    scene_id: int
    error_class: str
    message: str | None
    attempts: int
    failed_at: float
    reason: str | None
    __slots__ = tuple(__annotations__)

    def __init__(self, id: int, scene_id: int, error_class: str, message: str | None, attempts: int,
                 failed_at: float, reason: str | None) -> None:
        self._init(id, scene_id, error_class, message, attempts, failed_at, reason)


def cap_message(message: str | None) -> str | None:
    if message is None or len(message) <= MESSAGE_CAP:
        return message
    return message[: MESSAGE_CAP - 1] + "…"


def insert_dead_letter(conn: sqlite3.Connection, scene_id: int, error_class: str, message: str | None,
                       attempts: int, reason: str | None, now: float) -> None:
    """One letter; the caller (`Queue.dead_letter`) holds the transaction that also settles the job."""
    conn.execute("INSERT INTO dead_letters(scene_id, error_class, message, attempts, failed_at, reason) "
                 "VALUES (?, ?, ?, ?, ?, ?)", (scene_id, error_class, cap_message(message), attempts, now, reason))


class DeadLetters:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def newest(self, limit: int = 100) -> list[DeadLetter]:
        rows = self._conn.execute("SELECT id, scene_id, error_class, message, attempts, failed_at, reason "
                                  "FROM dead_letters ORDER BY id DESC LIMIT ?", (limit,))
        return [DeadLetter(*row) for row in rows]

    def count(self) -> int:
        return int(self._conn.execute("SELECT COUNT(*) FROM dead_letters").fetchone()[0])

    def retry(self, letter_ids: list[int] | None) -> int:
        """Re-queues the scenes of the given letters (None: every letter), forced and with a fresh attempt
        budget, and deletes those letters, in one transaction: a crash cannot lose a letter without its job.
        Unknown ids are ignored. Returns scenes queued or coalesced."""
        with write_txn(self._conn):
            rows = self._conn.execute("SELECT id, scene_id FROM dead_letters ORDER BY id").fetchall()
            if letter_ids is not None:
                wanted = {int(i) for i in letter_ids}
                rows = [row for row in rows if row[0] in wanted]
            scene_ids = list(dict.fromkeys(scene_id for _, scene_id in rows))
            result = dedup.apply(self._conn, [EnqueueRequest(s, Reason.DEAD_LETTER_RETRY) for s in scene_ids])
            self._conn.executemany("UPDATE scene_state SET attempts = 0 WHERE scene_id = ?", [(s,) for s in scene_ids])
            self._conn.executemany("DELETE FROM dead_letters WHERE id = ?", [(letter,) for letter, _ in rows])
            return result.queued + result.coalesced

    def clear_all(self) -> int:
        with write_txn(self._conn):
            return self._conn.execute("DELETE FROM dead_letters").rowcount
