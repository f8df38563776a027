"""The job queue: requests in (through the dedup rule), claims out, and every way a claimed job is settled.

Every state change that must agree with the queue row (ack + scene_state, dead letter + scene_state) is one
write transaction on the store's connection, so a crash leaves either both or neither.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable

from plugin.record import Record
from sync_queue import ackqueue, dedup
from sync_queue.dead_letters import cap_message, insert_dead_letter
from sync_queue.dedup import EnqueueRequest, EnqueueResult
from sync_queue.txn import retry_locked, write_txn
from sync_queue.vocab import OUTCOMES, SETTLED, ErrorClass, Reason, SceneStatus


class Job(Record):
    """A claimed queue row: which scene, why (a label), and its explicit decisions (see EnqueueRequest)."""

    job_id: int
    scene_id: int
    reason: str
    enqueued_at: float
    full_push: bool
    file_lookup: bool
    __slots__ = tuple(__annotations__)

    def __init__(self, job_id: int, scene_id: int, reason: str, enqueued_at: float, full_push: bool = False,
                 file_lookup: bool = False) -> None:
        self._init(job_id, scene_id, reason, enqueued_at, full_push, file_lookup)


class SyncOutcome(Record):
    """What the drainer did for one job.

    `updated_at` is the Stash value the job FETCHED (not the time of completion), so an edit made after the
    fetch is not mistaken for synced. `None` fields leave the stored value as it was.
    """

    status: SceneStatus
    updated_at: str | None
    content_hash: str | None
    field_hashes: dict | None
    plex_keys: list | None
    cover_pending: bool
    message: str | None
    poster_sha1: str | None
    our_tags: dict | None
    __slots__ = tuple(__annotations__)

    def __init__(self, status: SceneStatus, updated_at: str | None = None, content_hash: str | None = None,
                 field_hashes: dict | None = None, plex_keys: list | None = None, cover_pending: bool = False,
                 message: str | None = None, poster_sha1: str | None = None,
                 our_tags: dict | None = None) -> None:
        if status not in OUTCOMES:
            raise ValueError(f"a job ends as one of {', '.join(OUTCOMES)}, not {status!r}")
        self._init(SceneStatus(status), updated_at, content_hash, field_hashes, plex_keys, cover_pending, message,
                   poster_sha1, our_tags)


class Queue:
    """The queue's contract; one per connection, used from one thread."""

    def __init__(self, conn: sqlite3.Connection, path: str) -> None:
        self._conn = conn
        self._path = path

    # -- in ---------------------------------------------------------------------------------------------

    def enqueue(self, requests: Iterable[EnqueueRequest], now: float | None = None) -> EnqueueResult:
        """Applies the dedup rule to every request in ONE write transaction (a Sync All page is one commit)."""
        with write_txn(self._conn):
            return dedup.apply(self._conn, requests, now)

    # -- out ----------------------------------------------------------------------------------------------

    def claim(self, limit: int) -> list[Job]:
        """Up to `limit` jobs in FIFO order, each claimed by exactly one process, in one durable commit."""
        def claim_rows() -> list:
            with write_txn(self._conn):
                return ackqueue.claim(self._conn, limit)

        rows = retry_locked(claim_rows)
        return [Job(row_id, int(p["scene_id"]), str(p.get("reason", "")), float(p.get("enqueued_at", stamp)),
                    bool(p.get("full_push")), bool(p.get("file_lookup"))) for row_id, p, stamp in rows]

    def record_fetched(self, fetched: Iterable[tuple[int, str | None]]) -> None:
        """Notes the Stash `updated_at` each running job fetched (scene id, updated_at), in one commit: bulk
        requests it covers are dropped meanwhile."""
        from sync_queue.timestamps import try_parse_instant

        with write_txn(self._conn):
            for scene_id, updated_at in fetched:
                self._ensure_state(scene_id)
                self._conn.execute(
                    "UPDATE scene_state SET fetched_updated_at = ?, fetched_epoch = ? WHERE scene_id = ?",
                    (updated_at, try_parse_instant(updated_at), scene_id))

    # -- settling a claimed job (each call is atomic; callers may group several in `Store.transaction`) --

    def complete(self, job: Job, outcome: SyncOutcome, now: float | None = None) -> None:
        """Acks the row and records the outcome. The synced point only moves forward: an older job finishing
        after a newer one cannot roll it back; if a newer job was queued meanwhile, the scene stays queued."""
        from sync_queue.timestamps import try_parse_instant

        now = time.time() if now is None else now
        with write_txn(self._conn):
            ackqueue.ack(self._conn, job.job_id)
            latest_job, synced_epoch, fetched = self._ensure_state(job.scene_id)
            values: dict = {"scene_id": job.scene_id, "cover_pending": int(outcome.cover_pending),
                            "status": outcome.status if latest_job in (None, job.job_id) else SceneStatus.QUEUED,
                            "last_error": cap_message(outcome.message)}
            if outcome.plex_keys is not None:
                values["plex_keys"] = json.dumps([int(k) for k in outcome.plex_keys])
            updated_at = outcome.updated_at or fetched
            epoch = try_parse_instant(updated_at)
            if outcome.status in SETTLED and epoch is not None and (synced_epoch is None or epoch >= synced_epoch):
                values.update(last_synced_updated_at=updated_at, last_synced_epoch=epoch, synced_at=now)
                if outcome.content_hash is not None:
                    values["content_hash"] = outcome.content_hash
                if outcome.field_hashes is not None:
                    values["field_hashes"] = json.dumps(outcome.field_hashes, sort_keys=True)
                if outcome.poster_sha1 is not None:
                    values["poster_sha1"] = outcome.poster_sha1
                if outcome.our_tags is not None:
                    values["our_tags"] = json.dumps(outcome.our_tags, ensure_ascii=False, sort_keys=True)
            assignments = ", ".join(f"{column} = :{column}" for column in values if column != "scene_id")
            self._conn.execute(f"UPDATE scene_state SET {assignments}, attempts = 0, next_attempt_at = NULL, "
                               "error_class = NULL WHERE scene_id = :scene_id", values)

    def retry_later(self, job: Job, error_class: ErrorClass, message: str | None, delay_s: float,
                    count_attempt: bool = True, now: float | None = None) -> None:
        """Acks the row and schedules the scene for `now + delay_s`. Plex-down retries pass
        count_attempt=False: an outage must not use up a scene's budget."""
        now = time.time() if now is None else now
        with write_txn(self._conn):
            ackqueue.ack(self._conn, job.job_id)
            latest_job, _, _ = self._ensure_state(job.scene_id)
            status = SceneStatus.RETRYING if latest_job in (None, job.job_id) else SceneStatus.QUEUED
            self._conn.execute(
                "UPDATE scene_state SET status = ?, attempts = attempts + ?, next_attempt_at = ?, error_class = ?, "
                "last_error = ? WHERE scene_id = ?",
                (status, 1 if count_attempt else 0, now + max(0.0, delay_s), error_class, cap_message(message),
                 job.scene_id))

    def dead_letter(self, job: Job, error_class: ErrorClass, message: str | None, attempts: int,
                    now: float | None = None) -> None:
        """Acks the row, writes the dead letter, and marks the scene dead."""
        now = time.time() if now is None else now
        with write_txn(self._conn):
            ackqueue.ack(self._conn, job.job_id)
            insert_dead_letter(self._conn, job.scene_id, error_class, message, attempts, job.reason, now)
            latest_job, _, _ = self._ensure_state(job.scene_id)
            status = SceneStatus.DEAD if latest_job in (None, job.job_id) else SceneStatus.QUEUED
            self._conn.execute(
                "UPDATE scene_state SET status = ?, attempts = ?, next_attempt_at = NULL, error_class = ?, "
                "last_error = ? WHERE scene_id = ?",
                (status, attempts, error_class, cap_message(message), job.scene_id))

    def release(self, jobs: Iterable[Job]) -> int:
        """Graceful stop: claimed rows go back to ready at their FIFO place; returns rows released."""
        with write_txn(self._conn):
            return ackqueue.release(self._conn, [job.job_id for job in jobs])

    # -- scheduling, recovery, housekeeping -----------------------------------------------------------------

    def release_due_retries(self, now: float | None = None) -> int:
        """Queues (through the dedup rule) every scene whose retry time has come; returns new jobs."""
        now = time.time() if now is None else now
        with write_txn(self._conn):
            due = [row[0] for row in self._conn.execute(
                "SELECT scene_id FROM scene_state WHERE next_attempt_at IS NOT NULL AND next_attempt_at <= ? "
                "ORDER BY next_attempt_at", (now,))]
            result = dedup.apply(self._conn, [EnqueueRequest(s, Reason.RETRY) for s in due], now)
            self._conn.executemany("UPDATE scene_state SET next_attempt_at = NULL WHERE scene_id = ?",
                                   [(s,) for s in due])
        return result.queued

    def expedite_retries(self, error_class: ErrorClass, now: float | None = None) -> int:
        """Makes every retry scheduled for `error_class` due now (Plex-down waits once Plex answers)."""
        now = time.time() if now is None else now
        with write_txn(self._conn):
            return self._conn.execute(
                "UPDATE scene_state SET next_attempt_at = ? WHERE error_class = ? AND next_attempt_at > ?",
                (now, error_class, now)).rowcount

    def next_retry_at(self) -> float | None:
        return self._conn.execute(
            "SELECT MIN(next_attempt_at) FROM scene_state WHERE next_attempt_at IS NOT NULL").fetchone()[0]

    def recover_after_takeover(self) -> int:
        """Makes a dead drainer's claimed rows claimable again; returns how many there were. Only a NEW lease
        holder may call this: on any other process it would hand a live drainer's jobs to a second runner."""
        stuck = ackqueue.claimed_count(self._conn)
        if stuck:
            retry_locked(lambda: ackqueue.resume(self._path))
        return stuck

    def prune(self) -> None:
        """Deletes every acked row (history only: dedup lives in scene_state), then checkpoints the WAL back to
        empty, so neither the database nor its WAL grows with the number of syncs ever made."""
        retry_locked(lambda: ackqueue.prune(self._path))
        self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()

    def pending_count(self) -> int:
        return ackqueue.open_count(self._conn)

    def claimed_count(self) -> int:
        return ackqueue.claimed_count(self._conn)

    def work_waiting(self, now: float) -> bool:
        """Ready jobs or retries that are due (indexed reads, no lock): is a drainer needed?"""
        if ackqueue.has_open(self._conn):
            return True
        return self._conn.execute("SELECT EXISTS(SELECT 1 FROM scene_state WHERE next_attempt_at IS NOT NULL "
                                  "AND next_attempt_at <= ?)", (now,)).fetchone()[0] == 1

    def _ensure_state(self, scene_id: int) -> tuple:
        """(latest job id, last synced epoch, fetched updated_at), creating the scene's row if absent."""
        self._conn.execute("INSERT OR IGNORE INTO scene_state(scene_id, status) VALUES (?, ?)",
                           (scene_id, SceneStatus.QUEUED))
        return self._conn.execute("SELECT job_id, last_synced_epoch, fetched_updated_at FROM scene_state "
                                  "WHERE scene_id = ?", (scene_id,)).fetchone()
