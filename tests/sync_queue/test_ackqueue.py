"""What store.ackqueue assumes of the pinned persist-queue, pinned: the table, the status numbers, the JSON rows,
resume and prune; and why the plugin claims with its own compare-and-set instead of persist-queue's get()."""

from __future__ import annotations

import os
import sqlite3

import persistqueue.serializers.json as json_serializer
import pytest
from persistqueue import SQLiteAckQueue
from persistqueue.exceptions import Empty
from persistqueue.sqlackqueue import AckStatus

from sync_queue import Store
from sync_queue.ackqueue import TABLE, JobStatus
from sync_queue.dedup import EnqueueRequest

from .conftest import finish, spawn_python


def _stock_queue(db_path) -> SQLiteAckQueue:
    return SQLiteAckQueue(str(db_path.parent), db_file_name=db_path.name, serializer=json_serializer,
                          auto_resume=False)


def test_status_numbers_are_persist_queues() -> None:
    ours = {name.lower(): value for name, value in vars(JobStatus).items() if name.isupper()}
    assert ours == {name: int(getattr(AckStatus, name)) for name in ("inited", "ready", "unack", "acked",
                                                                     "ack_failed")}


def test_stock_sqliteackqueue_reads_hook_rows(store, db_path) -> None:
    store.queue.enqueue([EnqueueRequest(5, "edited"), EnqueueRequest(6, "created", file_lookup=True)])
    queue = _stock_queue(db_path)
    try:
        first = queue.get(block=False, raw=True)
        assert first["data"]["scene_id"] == 5 and first["data"]["reason"] == "edited"
        assert isinstance(first["data"]["enqueued_at"], float)
        second = queue.get(block=False)
        assert (second["scene_id"], second["file_lookup"]) == (6, True)
        queue.ack(id=first["pqid"])
        queue.ack(second)
        with pytest.raises(Empty):
            queue.get(block=False)
    finally:
        queue.close()
    assert [r[0] for r in store._conn.execute(f"SELECT status FROM {TABLE}")] == [JobStatus.ACKED] * 2


def test_table_matches_the_one_persist_queue_creates(tmp_path, conn) -> None:
    reference = tmp_path / "reference"
    SQLiteAckQueue(str(reference), serializer=json_serializer, auto_resume=False).close()
    theirs = sqlite3.connect(str(reference / "data.db"))
    expected = theirs.execute(f"PRAGMA table_info({TABLE})").fetchall()
    theirs.close()
    assert conn.execute(f"PRAGMA table_info({TABLE})").fetchall() == expected


def test_queue_created_by_persist_queue_first_is_adopted(tmp_path) -> None:
    queue = SQLiteAckQueue(str(tmp_path), serializer=json_serializer, auto_resume=False)
    queue.put({"scene_id": 1, "reason": "edited", "enqueued_at": 1.0})
    queue.close()
    with Store(tmp_path / "data.db") as store:
        assert store.queue.enqueue([EnqueueRequest(2, "edited")]).queued == 1
        plan = " ".join(str(r) for r in store._conn.execute(
            f"EXPLAIN QUERY PLAN SELECT _id FROM {TABLE} WHERE _id > 0 AND status < 2 ORDER BY _id LIMIT 1"))
        assert "ix_ack_open" in plan
        assert [job.scene_id for job in store.queue.claim(5)] == [1, 2]


class _Interleaved(SQLiteAckQueue):
    """Runs `rival.get()` between this queue's SELECT and its claim: the race, made deterministic."""

    rival = None

    def _select(self, *args, **kwargs):
        row = super()._select(*args, **kwargs)
        if self.rival is not None and row:
            rival, self.rival = self.rival, None
            self.stolen = rival.get(block=False, raw=True)
        return row


def test_stock_claim_hands_one_row_to_two_claimers(store, db_path) -> None:
    """Why claims are the plugin's own compare-and-set (`ackqueue.claim`, raced in test_multiprocess)."""
    store.queue.enqueue([EnqueueRequest(1, "edited"), EnqueueRequest(2, "edited")])
    claimer = _Interleaved(str(db_path.parent), db_file_name=db_path.name, serializer=json_serializer,
                           auto_resume=False)
    claimer.rival = _stock_queue(db_path)
    mine = claimer.get(block=False, raw=True)
    assert mine["data"]["scene_id"] == claimer.stolen["data"]["scene_id"] == 1


def test_unreadable_row_is_set_aside_not_crash_looped(store, conn) -> None:
    conn.execute(f"INSERT INTO {TABLE}(data, timestamp, status) VALUES (?, 1.0, 0)", (b"\xff not json",))
    store.queue.enqueue([EnqueueRequest(3, "edited")])
    assert [job.scene_id for job in store.queue.claim(5)] == [3]
    assert conn.execute(f"SELECT status FROM {TABLE} ORDER BY _id").fetchall() == [(9,), (2,)]


def test_resume_and_prune_go_through_persist_queue(store, conn) -> None:
    store.queue.enqueue([EnqueueRequest(s, "edited") for s in (1, 2, 3)])
    first, second, _ = store.queue.claim(3)
    store.queue.release([first])
    assert store.queue.recover_after_takeover() == 2
    assert store.queue.claimed_count() == 0 and store.queue.pending_count() == 3
    for job in store.queue.claim(2):
        store.queue.dead_letter(job, "permanent", "x", attempts=1)
    store.queue.prune()
    assert conn.execute(f"SELECT COUNT(*) FROM {TABLE}").fetchone()[0] == 1


@pytest.mark.e2e  # a fresh interpreter without site-packages, as a hook
def test_hook_path_does_not_import_persist_queue(db_path) -> None:
    code = (
        "from sync_queue import Store\n"
        "from sync_queue.dedup import EnqueueRequest\n"
        f"print(Store({str(db_path)!r}).queue.enqueue([EnqueueRequest(1, 'edited')]).queued)\n"
        "print(sorted(m for m in ('persistqueue', 'asyncio', 'requests', 'plexapi') if m in sys.modules))\n"
    )
    out = finish(spawn_python(code, isolated=True))
    assert out.split("\n")[:2] == ["1", "[]"]
    assert os.path.exists(db_path)
