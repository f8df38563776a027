"""The dedup rule (DESIGN.md "The queue"): every request to sync a scene goes through it, from hooks, Sync All,
reconcile, due retries and dead-letter retries alike.

Decided by one primary-key lookup of `scene_state` joined to the scene's latest queue row by its primary key;
completed queue rows are never consulted, so pruning them cannot bring back the infinite-requeue bug:
- the latest job is pending (not yet claimed)      -> coalesce into it (its decisions gain the request's);
- bulk request (force=False) and covered           -> drop. Covered means: the last completed sync's
  updated_at is at least the request's (as instants) and, when the request carries a content hash, the same
  hash was pushed; or the job in progress already fetched data at least that new;
- otherwise (no job, job done, or job in progress) -> one new pending job.

Standard library only: hooks run this.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable  # already loaded by json/re; typing would cost a hook ~3 ms

from plugin.record import Record
from sync_queue import ackqueue
from sync_queue.ackqueue import JobStatus
from sync_queue.vocab import SceneStatus

QUEUE, COALESCE, DROP = "queue", "coalesce", "drop"
# What a job does beyond the ordinary diff push; stored in its payload, merged when requests coalesce.
DECISIONS = ("full_push", "file_lookup")


class EnqueueRequest(Record):
    """A request to sync one scene.

    `force` = the request comes from a change (hook, retry, user): never dropped as covered.
    `full_push` = push every field again even where our last push matches (Plex drifted from it).
    `file_lookup` = Stash just scanned the file: Plex may have it under a key our index has not seen yet.
    """

    scene_id: int
    reason: str
    force: bool
    updated_at: str | None
    content_hash: str | None
    full_push: bool
    file_lookup: bool
    __slots__ = tuple(__annotations__)

    def __init__(self, scene_id: int, reason: str, force: bool = True, updated_at: str | None = None,
                 content_hash: str | None = None, full_push: bool = False, file_lookup: bool = False) -> None:
        self._init(int(scene_id), reason, force, updated_at, content_hash, full_push, file_lookup)


class EnqueueResult(Record):
    queued: int
    coalesced: int
    dropped: int
    __slots__ = tuple(__annotations__)

    def __init__(self, queued: int = 0, coalesced: int = 0, dropped: int = 0) -> None:
        self._init(queued, coalesced, dropped)


_LOOKUP = (
    "SELECT q.status, s.last_synced_epoch, s.content_hash, s.fetched_epoch, q._id, q.data "
    f"FROM scene_state AS s LEFT JOIN {ackqueue.TABLE} AS q ON q._id = s.job_id WHERE s.scene_id = ?"
)


def decide(row: tuple | None, request: EnqueueRequest) -> str:
    """The rule above, as a pure function of the lookup row (job status, synced epoch, synced hash,
    fetched epoch) and the request."""
    if row is None:
        return QUEUE
    job_status, synced_epoch, synced_hash, fetched_epoch = row[:4]
    if job_status is not None and job_status < JobStatus.UNACK:
        return COALESCE
    if request.force:
        return QUEUE
    from sync_queue.timestamps import try_parse_instant  # hooks always force: they never pay for datetime

    wanted = try_parse_instant(request.updated_at)
    if wanted is None:
        return QUEUE  # cannot prove it is covered, so sync it
    if job_status == JobStatus.UNACK and fetched_epoch is not None and fetched_epoch >= wanted:
        return DROP
    same_hash = request.content_hash is None or request.content_hash == synced_hash
    if synced_epoch is not None and synced_epoch >= wanted and same_hash:
        return DROP
    return QUEUE


def apply(conn: sqlite3.Connection, requests: Iterable[EnqueueRequest], now: float | None = None) -> EnqueueResult:
    """Applies the rule to each request; the caller holds the write transaction."""
    now = time.time() if now is None else now
    queued = coalesced = dropped = 0
    for request in requests:
        row = conn.execute(_LOOKUP, (request.scene_id,)).fetchone()
        decision = decide(row, request)
        if decision == COALESCE:
            _merge_decisions(conn, row[4], ackqueue.decode(row[5]) or {}, request)
            coalesced += 1
        elif decision == DROP:
            dropped += 1
        else:
            _insert_job(conn, request, now)
            queued += 1
    return EnqueueResult(queued=queued, coalesced=coalesced, dropped=dropped)


def _merge_decisions(conn: sqlite3.Connection, row_id: int, payload: dict, request: EnqueueRequest) -> None:
    added = {name: True for name in DECISIONS if getattr(request, name) and not payload.get(name)}
    if added:
        ackqueue.rewrite(conn, row_id, {**payload, **added})


def _insert_job(conn: sqlite3.Connection, request: EnqueueRequest, now: float) -> int:
    """The payload names the scene, why, and what to do beyond a diff push: never a metadata snapshot (the
    drainer fetches fresh data) and never a secret."""
    payload: dict = {"scene_id": request.scene_id, "reason": str(request.reason), "enqueued_at": now}
    payload.update({name: True for name in DECISIONS if getattr(request, name)})
    job_id = ackqueue.insert(conn, payload, now)
    conn.execute(
        "INSERT INTO scene_state (scene_id, job_id, status) VALUES (?, ?, ?) "
        "ON CONFLICT(scene_id) DO UPDATE SET job_id = excluded.job_id, status = excluded.status",
        (request.scene_id, job_id, SceneStatus.QUEUED),
    )
    return job_id
