"""persist-queue reads what the hook path wrote, and the CAS claim wins races the stock claim loses."""

from __future__ import annotations

import os
import sqlite3

import persistqueue.serializers.json as json_serializer
import pytest
from persistqueue import SQLiteAckQueue
from persistqueue.exceptions import Empty

from store.db import connect
from store.enqueue import EnqueueRequest, enqueue
from store.jobs import CasAckQueue, open_ack_queue
from store.schema import QUEUE_TABLE

from .conftest import finish, spawn_python


def _stock_queue(db_path) -> SQLiteAckQueue:
    return SQLiteAckQueue(
        str(db_path.parent), db_file_name=db_path.name, serializer=json_serializer, auto_resume=False
    )


def test_stock_sqliteackqueue_reads_hook_rows(conn, db_path) -> None:
    enqueue(conn, [EnqueueRequest(5, "edited", True), EnqueueRequest(6, "created", True)])
    queue = _stock_queue(db_path)
    try:
        first = queue.get(block=False, raw=True)
        assert first["data"]["scene_id"] == 5 and first["data"]["reason"] == "edited"
        assert isinstance(first["data"]["enqueued_at"], float)
        second = queue.get(block=False)
        assert second["scene_id"] == 6
        queue.ack(id=first["pqid"])
        queue.ack(second)
        with pytest.raises(Empty):
            queue.get(block=False)
    finally:
        queue.close()
    assert [r[0] for r in conn.execute(f"SELECT status FROM {QUEUE_TABLE}")] == [5, 5]


def test_table_matches_the_one_persist_queue_creates(tmp_path, conn) -> None:
    reference = tmp_path / "reference"
    queue = SQLiteAckQueue(str(reference), serializer=json_serializer, auto_resume=False)
    queue.close()
    theirs = sqlite3.connect(str(reference / "data.db"))
    expected = theirs.execute("PRAGMA table_info(ack_queue_default)").fetchall()
    theirs.close()
    assert conn.execute(f"PRAGMA table_info({QUEUE_TABLE})").fetchall() == expected


def test_queue_created_by_persist_queue_first_is_adopted(tmp_path) -> None:
    db_file = tmp_path / "data.db"
    queue = SQLiteAckQueue(str(tmp_path), serializer=json_serializer, auto_resume=False)
    queue.put({"scene_id": 1, "reason": "edited", "enqueued_at": 1.0})
    queue.close()
    conn = connect(db_file)
    try:
        assert enqueue(conn, [EnqueueRequest(2, "edited", True)]).queued == 1
        plan = " ".join(str(r) for r in conn.execute(f"EXPLAIN QUERY PLAN SELECT _id FROM {QUEUE_TABLE} "
                                                      "WHERE _id > 0 AND status < 2 ORDER BY _id LIMIT 1"))
        assert "ix_ack_open" in plan
    finally:
        conn.close()
    cas = open_ack_queue(db_file)
    try:
        assert [cas.get(block=False)["scene_id"], cas.get(block=False)["scene_id"]] == [1, 2]
    finally:
        cas.close()


class _Interleaved:
    """Runs `rival.get()` between this queue's SELECT and its claim: the race, made deterministic."""

    rival = None

    def _select(self, *args, **kwargs):
        row = super()._select(*args, **kwargs)
        if self.rival is not None and row:
            rival, self.rival = self.rival, None
            self.stolen = rival.get(block=False, raw=True)
        return row


class InterleavedCas(_Interleaved, CasAckQueue):
    pass


class InterleavedStock(_Interleaved, SQLiteAckQueue):
    pass


def _two_claimers(db_path, cls):
    claimer = cls(str(db_path.parent), db_file_name=db_path.name, serializer=json_serializer, auto_resume=False)
    claimer.rival = open_ack_queue(db_path)
    return claimer


def test_cas_claim_never_hands_one_row_to_two_claimers(conn, db_path) -> None:
    enqueue(conn, [EnqueueRequest(1, "edited", True), EnqueueRequest(2, "edited", True)])
    claimer = _two_claimers(db_path, InterleavedCas)
    mine = claimer.get(block=False, raw=True)
    assert claimer.stolen["data"]["scene_id"] == 1
    assert mine["data"]["scene_id"] == 2  # lost row 1 to the rival, moved on
    with pytest.raises(Empty):
        claimer.get(block=False)


def test_stock_claim_does_hand_one_row_to_two_claimers(conn, db_path) -> None:
    """The same interleaving against persist-queue's own claim: proves the test above can fail."""
    enqueue(conn, [EnqueueRequest(1, "edited", True), EnqueueRequest(2, "edited", True)])
    claimer = _two_claimers(db_path, InterleavedStock)
    mine = claimer.get(block=False, raw=True)
    assert mine["data"]["scene_id"] == claimer.stolen["data"]["scene_id"] == 1


def test_cas_claim_by_id_refuses_a_settled_row(conn, db_path) -> None:
    enqueue(conn, [EnqueueRequest(1, "edited", True)])
    queue = open_ack_queue(db_path)
    item = queue.get(block=False, raw=True)
    queue.ack(id=item["pqid"])
    with pytest.raises(Empty):
        queue.get(block=False, id=item["pqid"])


def test_unreadable_row_is_set_aside_not_crash_looped(conn, db_path) -> None:
    conn.execute(f"INSERT INTO {QUEUE_TABLE}(data, timestamp, status) VALUES (?, 1.0, 0)", (b"\xff not json",))
    enqueue(conn, [EnqueueRequest(3, "edited", True)])
    queue = open_ack_queue(db_path)
    assert queue.get(block=False)["scene_id"] == 3
    assert conn.execute(f"SELECT status FROM {QUEUE_TABLE} ORDER BY _id").fetchall() == [(9,), (2,)]


def test_hook_path_does_not_import_persist_queue(db_path) -> None:
    code = (
        "from store import connect, enqueue, EnqueueRequest\n"
        f"conn = connect({str(db_path)!r})\n"
        "print(enqueue(conn, [EnqueueRequest(1, 'edited', True)]).queued)\n"
        "print(sorted(m for m in ('persistqueue', 'asyncio', 'requests', 'plexapi') if m in sys.modules))\n"
    )
    out = finish(spawn_python(code, isolated=True))
    assert out.split("\n")[:2] == ["1", "[]"]
    assert os.path.exists(db_path)
