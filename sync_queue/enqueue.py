"""The hook path: record that a scene needs syncing, deduplicated, in one short transaction.

Runs in a fresh process per Stash hook with a ~50 ms budget, so it imports only the standard library
and writes persist-queue's row format itself (importing persist-queue alone costs ~50 ms).

The dedup rule (DESIGN.md "The queue"), decided by one primary-key lookup of `scene_state` joined to
the scene's latest queue row by its primary key; completed queue rows are never consulted, so pruning
them cannot bring back the infinite-requeue bug:
- the latest job is pending (status < 2)        -> coalesce into it;
- bulk request (force=False) and covered         -> drop. Covered means: the last completed sync's
  updated_at is at least the request's (as instants) and, when the request carries a content hash,
  the same hash was pushed; or the job in progress already fetched data at least that new;
- otherwise (no job, job done, or job in progress) -> one new pending job.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable  # already loaded by json/re; typing would cost a hook ~3 ms

from plugin.record import Record
from sync_queue.schema import QUEUE_TABLE
from sync_queue.txn import write_txn

STATUS_UNACK = 2  # persist-queue AckStatus.unack: claimed by the drainer


class EnqueueRequest(Record):
    __slots__ = ("scene_id", "reason", "force", "updated_at", "content_hash")

    def __init__(self, scene_id: int, reason: str, force: bool = True, updated_at: str | None = None,
                 content_hash: str | None = None) -> None:
        self._init(scene_id, reason, force, updated_at, content_hash)


class EnqueueResult(Record):
    __slots__ = ("queued", "coalesced", "dropped")

    def __init__(self, queued: int = 0, coalesced: int = 0, dropped: int = 0) -> None:
        self._init(queued, coalesced, dropped)


_LOOKUP = (
    "SELECT q.status, s.last_synced_epoch, s.content_hash, s.fetched_epoch "
    f"FROM scene_state AS s LEFT JOIN {QUEUE_TABLE} AS q ON q._id = s.job_id WHERE s.scene_id = ?"
)


def enqueue(conn: sqlite3.Connection, requests: Iterable[EnqueueRequest]) -> EnqueueResult:
    """Applies every request in ONE write transaction (a Sync All page of 500 is one commit)."""
    with write_txn(conn):
        return apply_requests(conn, requests)


def apply_requests(
    conn: sqlite3.Connection, requests: Iterable[EnqueueRequest], now: float | None = None
) -> EnqueueResult:
    """The dedup rule for callers already inside `write_txn` (retries, dead-letter retries)."""
    queued = coalesced = dropped = 0
    for request in requests:
        decision = _decide(conn.execute(_LOOKUP, (request.scene_id,)).fetchone(), request)
        if decision == "coalesce":
            coalesced += 1
        elif decision == "drop":
            dropped += 1
        else:
            insert_job(conn, request.scene_id, request.reason, time.time() if now is None else now)
            queued += 1
    return EnqueueResult(queued=queued, coalesced=coalesced, dropped=dropped)


def _decide(row: tuple | None, request: EnqueueRequest) -> str:
    if row is None:
        return "queue"
    job_status, synced_epoch, synced_hash, fetched_epoch = row
    if job_status is not None and job_status < STATUS_UNACK:
        return "coalesce"
    if request.force:
        return "queue"
    from sync_queue.timestamps import try_parse_instant  # not needed by hooks (force=True)

    wanted = try_parse_instant(request.updated_at)
    if wanted is None:
        return "queue"  # cannot prove it is covered, so sync it
    if job_status == STATUS_UNACK and fetched_epoch is not None and fetched_epoch >= wanted:
        return "drop"
    same_hash = request.content_hash is None or request.content_hash == synced_hash
    if synced_epoch is not None and synced_epoch >= wanted and same_hash:
        return "drop"
    return "queue"


def insert_job(conn: sqlite3.Connection, scene_id: int, reason: str, now: float) -> int:
    """Writes exactly the row `SQLiteAckQueue.put()` writes with the JSON serializer; returns its id.

    The payload names the scene and why, never a metadata snapshot (the drainer fetches fresh data)
    and never a secret.
    """
    payload = {"scene_id": int(scene_id), "reason": reason, "enqueued_at": now}
    cursor = conn.execute(
        f"INSERT INTO {QUEUE_TABLE} (data, timestamp, status) VALUES (?, ?, 0)",
        (json.dumps(payload).encode("utf-8"), time.time()),
    )
    job_id = int(cursor.lastrowid)
    conn.execute(
        "INSERT INTO scene_state (scene_id, job_id, status) VALUES (?, ?, 'queued') "
        "ON CONFLICT(scene_id) DO UPDATE SET job_id = excluded.job_id, status = 'queued'",
        (int(scene_id), job_id),
    )
    return job_id
