"""The drainer's side of the queue: claim, complete, retry, dead-letter, release, recover, prune.

Only the drainer imports this module (it pulls in persist-queue, which costs a hook's whole budget).
Every state change that must agree with the queue row (ack + scene_state) is one transaction on our
own connection; persist-queue is used for what it does well: reading and claiming rows, resuming
in-flight rows after a takeover, and deleting acked rows.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from typing import Any, Dict, Iterable, List, Optional, Union

import persistqueue.serializers.json as json_serializer
from persistqueue.sqlackqueue import AckStatus, SQLiteAckQueue

from sync_queue import dead_letters, meta
from sync_queue.db import BUSY_TIMEOUT_S, connect
from sync_queue.enqueue import EnqueueRequest, apply_requests
from sync_queue.models import SYNCED_STATUSES, Job, SyncOutcome
from sync_queue.schema import QUEUE_TABLE
from sync_queue.timestamps import try_parse_instant
from sync_queue.txn import retry_locked, write_txn

RETRY_REASON = "retry"
# Acked rows are only history (dedup lives in scene_state); an hourly sweep keeps the file small.
PRUNE_INTERVAL_S = 3600.0
_UNACK = int(AckStatus.unack)
_ACKED = int(AckStatus.acked)
_READY = int(AckStatus.ready)
_ACK_FAILED = int(AckStatus.ack_failed)


class CasAckQueue(SQLiteAckQueue):
    """SQLiteAckQueue whose claim is a compare-and-set, so two processes never get the same row.

    persist-queue's own `_pop` selects a row and then marks it claimed without re-checking its status;
    measured, 4 processes over 2,000 rows ran 3-11 of them twice. Here the claim only succeeds while
    the row is still unclaimed, and a lost race moves on to the next row.
    """

    def _pop(self, rowid: Optional[int] = None, next_in_order: bool = False, raw: bool = False) -> Any:
        with self.action_lock:
            while True:
                row = self._select(next_in_order=next_in_order, rowid=rowid)
                if not row or row[0] is None:
                    return None
                if not self._claim_row(row[0]):
                    if rowid is not None:
                        return None
                    continue
                try:
                    item = self._serializer.loads(row[1])
                except ValueError:
                    # A row nobody can read would otherwise be claimed and crash the drainer forever.
                    self._mark_ack_status(row[0], AckStatus.ack_failed)
                    if rowid is not None:
                        return None
                    continue
                self._unack_cache[row[0]] = item
                self.total -= 1
                if raw:
                    return {"pqid": row[0], "data": item, "timestamp": row[2]}
                return item

    def claim_batch(self, limit: int) -> List[dict]:
        """Claims up to `limit` ready rows in FIFO order in ONE write transaction (one durable commit for
        the batch instead of one per row); returns them in get(raw=True)'s shape.

        BEGIN IMMEDIATE holds the write lock from the read to the commit, so no other process can claim
        a row in between; the `status < 2` guard on the UPDATE states the compare-and-set all the same.
        """
        table, key = self._table_name, self._key_column
        items: List[dict] = []
        with self.action_lock, self.tran_lock:
            conn = self._putter
            conn.execute("BEGIN IMMEDIATE")
            try:
                rows = conn.execute(
                    f"SELECT {key}, data, timestamp FROM {table} WHERE status < ? ORDER BY {key} LIMIT ?",
                    (_UNACK, limit),
                ).fetchall()
                for rowid, data, timestamp in rows:
                    try:
                        item = self._serializer.loads(data)
                    except ValueError:
                        # A row nobody can read would otherwise be claimed and crash the drainer forever.
                        conn.execute(f"UPDATE {table} SET status = ? WHERE {key} = ?", (_ACK_FAILED, rowid))
                        continue
                    if conn.execute(f"UPDATE {table} SET status = ? WHERE {key} = ? AND status < ?",
                                    (_UNACK, rowid, _UNACK)).rowcount == 1:
                        self._unack_cache[rowid] = item
                        items.append({"pqid": rowid, "data": item, "timestamp": timestamp})
                conn.commit()
            except BaseException:
                conn.rollback()
                raise
        return items

    def _claim_row(self, rowid: int) -> bool:
        sql = f"UPDATE {self._table_name} SET status = ? WHERE {self._key_column} = ? AND status < ?"
        with self.tran_lock, self._putter as conn:
            return conn.execute(sql, (_UNACK, rowid, _UNACK)).rowcount == 1

    def forget(self, rowid: int) -> None:
        """Drops our cached copy of a claimed item once its row was settled by plain SQL."""
        self._unack_cache.pop(rowid, None)


def open_ack_queue(path: Union[str, os.PathLike[str]], timeout: float = BUSY_TIMEOUT_S) -> CasAckQueue:
    """persist-queue wants a directory plus a file name; the plugin thinks in database files."""
    full = os.path.abspath(os.fspath(path))
    return CasAckQueue(
        os.path.dirname(full),
        db_file_name=os.path.basename(full),
        auto_resume=False,  # resuming on open would steal a live drainer's jobs
        serializer=json_serializer,
        timeout=timeout,
    )


class JobQueue:
    """The drainer's handle on the database; not thread-safe (one per drainer thread)."""

    def __init__(self, path: Union[str, os.PathLike[str]], conn: Optional[sqlite3.Connection] = None) -> None:
        self.path = os.fspath(path)
        self.conn = conn if conn is not None else connect(self.path)
        self._owns_conn = conn is None
        self._queue = open_ack_queue(self.path)

    def close(self) -> None:
        self._queue.close()
        if self._owns_conn:
            self.conn.close()

    # -- claiming --------------------------------------------------------------------------------

    def claim(self, limit: int) -> List[Job]:
        """Up to `limit` jobs in FIFO order, each claimed by exactly one process."""
        items = retry_locked(lambda: self._queue.claim_batch(limit))
        return [
            Job(
                job_id=int(item["pqid"]),
                scene_id=int(item["data"]["scene_id"]),
                reason=str(item["data"].get("reason", "")),
                enqueued_at=float(item["data"].get("enqueued_at", item["timestamp"])),
            )
            for item in items
        ]

    def record_fetched(self, scene_id: int, updated_at: Optional[str]) -> None:
        """Notes the Stash `updated_at` the running job fetched: bulk requests it covers are dropped."""
        with write_txn(self.conn):
            self._ensure_state(scene_id)
            self.conn.execute(
                "UPDATE scene_state SET fetched_updated_at = ?, fetched_epoch = ? WHERE scene_id = ?",
                (updated_at, try_parse_instant(updated_at), scene_id),
            )

    # -- settling a claimed job ------------------------------------------------------------------

    def complete(self, job: Job, outcome: SyncOutcome, now: Optional[float] = None) -> None:
        """Acks the row and records the outcome in one transaction.

        The synced point only moves forward: an older job finishing after a newer one cannot roll it
        back. If a newer job was queued while this one ran, the scene stays 'queued'.
        """
        if outcome.status in ("queued", "dead"):
            raise ValueError(f"complete() records a finished sync, not {outcome.status!r}")
        now = time.time() if now is None else now
        with write_txn(self.conn):
            self._ack(job.job_id)
            latest_job, synced_epoch, fetched = self._ensure_state(job.scene_id)
            values: Dict[str, Any] = {
                "scene_id": job.scene_id,
                "status": outcome.status if latest_job in (None, job.job_id) else "queued",
                "cover_pending": int(outcome.cover_pending),
                "last_error": dead_letters.cap_message(outcome.message),
            }
            if outcome.plex_keys is not None:
                values["plex_keys"] = json.dumps([int(k) for k in outcome.plex_keys])
            updated_at = outcome.updated_at or fetched
            epoch = try_parse_instant(updated_at)
            advances = epoch is not None and (synced_epoch is None or epoch >= synced_epoch)
            if outcome.status in SYNCED_STATUSES and advances:
                values.update(last_synced_updated_at=updated_at, last_synced_epoch=epoch, synced_at=now)
                if outcome.content_hash is not None:
                    values["content_hash"] = outcome.content_hash
                if outcome.field_hashes is not None:
                    values["field_hashes"] = json.dumps(outcome.field_hashes, sort_keys=True)
            assignments = ", ".join(f"{column} = :{column}" for column in values if column != "scene_id")
            self.conn.execute(
                f"UPDATE scene_state SET {assignments}, attempts = 0, next_attempt_at = NULL, error_class = NULL "
                "WHERE scene_id = :scene_id",
                values,
            )
        self._queue.forget(job.job_id)

    def retry_later(
        self,
        job: Job,
        error_class: str,
        message: Optional[str],
        delay_s: float,
        count_attempt: bool = True,
        now: Optional[float] = None,
    ) -> int:
        """Acks the row and schedules the scene for `now + delay_s`; returns the scene's attempts.

        Plex-down retries pass count_attempt=False: an outage must not use up a scene's budget.
        """
        now = time.time() if now is None else now
        with write_txn(self.conn):
            self._ack(job.job_id)
            latest_job, _, _ = self._ensure_state(job.scene_id)
            self.conn.execute(
                "UPDATE scene_state SET status = ?, attempts = attempts + ?, next_attempt_at = ?, "
                "error_class = ?, last_error = ? WHERE scene_id = ?",
                (
                    "failed" if latest_job in (None, job.job_id) else "queued",
                    1 if count_attempt else 0,
                    now + max(0.0, delay_s),
                    error_class,
                    dead_letters.cap_message(message),
                    job.scene_id,
                ),
            )
            attempts = self.conn.execute(
                "SELECT attempts FROM scene_state WHERE scene_id = ?", (job.scene_id,)
            ).fetchone()[0]
        self._queue.forget(job.job_id)
        return int(attempts)

    def dead_letter(
        self, job: Job, error_class: str, message: Optional[str], attempts: int, now: Optional[float] = None
    ) -> None:
        """Acks the row, writes the dead letter, and marks the scene 'dead' — one transaction."""
        now = time.time() if now is None else now
        with write_txn(self.conn):
            self._ack(job.job_id)
            dead_letters.add(self.conn, job.scene_id, error_class, message, attempts, job.reason, now=now)
            latest_job, _, _ = self._ensure_state(job.scene_id)
            self.conn.execute(
                "UPDATE scene_state SET status = ?, attempts = ?, next_attempt_at = NULL, error_class = ?, "
                "last_error = ? WHERE scene_id = ?",
                (
                    "dead" if latest_job in (None, job.job_id) else "queued",
                    attempts,
                    error_class,
                    dead_letters.cap_message(message),
                    job.scene_id,
                ),
            )
        self._queue.forget(job.job_id)

    def release(self, jobs: Iterable[Job]) -> int:
        """Graceful stop: claimed rows go back to ready (at their FIFO place); returns rows released."""
        jobs = list(jobs)
        with write_txn(self.conn):
            released = sum(
                self.conn.execute(
                    f"UPDATE {QUEUE_TABLE} SET status = ? WHERE _id = ? AND status = ?", (_READY, job.job_id, _UNACK)
                ).rowcount
                for job in jobs
            )
        for job in jobs:
            self._queue.forget(job.job_id)
        return released

    # -- scheduling, recovery, housekeeping ------------------------------------------------------

    def release_due_retries(self, now: Optional[float] = None) -> int:
        """Queues every scene whose retry time has come; returns the number of new jobs.

        Goes through the dedup rule, so a scene that already has a pending job is not queued twice.
        """
        now = time.time() if now is None else now
        with write_txn(self.conn):
            due = [
                row[0]
                for row in self.conn.execute(
                    "SELECT scene_id FROM scene_state WHERE next_attempt_at IS NOT NULL AND next_attempt_at <= ? "
                    "ORDER BY next_attempt_at",
                    (now,),
                )
            ]
            result = apply_requests(self.conn, [EnqueueRequest(s, RETRY_REASON, force=True) for s in due], now=now)
            self.conn.executemany(
                "UPDATE scene_state SET next_attempt_at = NULL WHERE scene_id = ?", [(s,) for s in due]
            )
        return result.queued

    def expedite_retries(self, error_class: str, now: Optional[float] = None) -> int:
        """Makes every retry scheduled for `error_class` due now (e.g. Plex-down waits once Plex answers)."""
        now = time.time() if now is None else now
        with write_txn(self.conn):
            return self.conn.execute(
                "UPDATE scene_state SET next_attempt_at = ? WHERE error_class = ? AND next_attempt_at > ?",
                (now, error_class, now),
            ).rowcount

    def next_retry_at(self) -> Optional[float]:
        row = self.conn.execute(
            "SELECT MIN(next_attempt_at) FROM scene_state WHERE next_attempt_at IS NOT NULL"
        ).fetchone()
        return row[0] if row else None

    def recover_after_takeover(self) -> int:
        """Makes a dead drainer's claimed rows claimable again; returns how many there were.

        Only a NEW lease holder may call this: on any other process it would hand a live drainer's
        jobs to a second runner.
        """
        stuck = self.conn.execute(f"SELECT COUNT(*) FROM {QUEUE_TABLE} WHERE status = ?", (_UNACK,)).fetchone()[0]
        retry_locked(self._queue.resume_unack_tasks)
        return int(stuck)

    def prune(self) -> None:
        """Deletes every acked row. Explicit None/None: other argument combinations either keep 1,000
        rows or, with a falsy max_delete and keep_latest > 0, emit `OFFSET` without `LIMIT` (a syntax
        error in persist-queue 1.1.0)."""
        retry_locked(lambda: self._queue.clear_acked_data(max_delete=None, keep_latest=None, clear_ack_failed=False))

    def prune_if_due(self, interval_s: float = PRUNE_INTERVAL_S, now: Optional[float] = None) -> bool:
        """Prunes at most once per interval across all processes; True when this call pruned."""
        if not meta.claim_if_due(self.conn, "last_queue_prune", interval_s, time.time() if now is None else now):
            return False
        self.prune()
        return True

    def pending_count(self) -> int:
        """Backlog from SQL (persist-queue's qsize() only knows this process's own puts and gets)."""
        # Literal `status < 2` (not a bound parameter) so the planner can use the partial index ix_ack_open.
        return int(self.conn.execute(f"SELECT COUNT(*) FROM {QUEUE_TABLE} WHERE status < 2").fetchone()[0])

    def claimed_count(self) -> int:
        return int(self.conn.execute(f"SELECT COUNT(*) FROM {QUEUE_TABLE} WHERE status = ?", (_UNACK,)).fetchone()[0])

    # -- helpers (caller holds the write transaction) ----------------------------------------------

    def _ack(self, job_id: int) -> None:
        self.conn.execute(f"UPDATE {QUEUE_TABLE} SET status = ? WHERE _id = ?", (_ACKED, job_id))

    def _ensure_state(self, scene_id: int) -> tuple:
        """(latest job id, last synced epoch, fetched updated_at) of a scene, creating its row if absent."""
        self.conn.execute("INSERT OR IGNORE INTO scene_state(scene_id, status) VALUES (?, 'queued')", (scene_id,))
        return self.conn.execute(
            "SELECT job_id, last_synced_epoch, fetched_updated_at FROM scene_state WHERE scene_id = ?", (scene_id,)
        ).fetchone()
