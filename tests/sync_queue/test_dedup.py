"""The dedup rule, branch by branch, on a real database file."""

from __future__ import annotations

import json
from typing import Callable, Optional

import pytest

from sync_queue.ackqueue import TABLE as QUEUE_TABLE
from sync_queue.dedup import EnqueueRequest, EnqueueResult
from sync_queue.queue import SyncOutcome

from .conftest import state_of

SCENE = 7
T0 = "2024-05-01T10:00:00+02:00"  # 08:00Z
T0_UTC = "2024-05-01T08:00:00Z"  # same instant, other text
T_OLDER = "2024-05-01T07:59:59.5Z"
T_NEWER_TEXT_SMALLER = "2024-05-01T09:00:00Z"  # later instant, sorts before T0 as text
T_NEWER = "2024-05-01T10:00:01+02:00"


def hook() -> EnqueueRequest:
    return EnqueueRequest(SCENE, "edited", force=True)


def bulk(updated_at: Optional[str], content_hash: Optional[str] = None) -> EnqueueRequest:
    return EnqueueRequest(SCENE, "reconcile", force=False, updated_at=updated_at, content_hash=content_hash)


def nothing(store, conn) -> None:
    pass


def pending(store, conn) -> None:
    store.queue.enqueue([hook()])


def in_progress(store, conn) -> None:
    store.queue.enqueue([hook()])
    assert len(store.queue.claim(1)) == 1


def in_progress_fetched(store, conn) -> None:
    in_progress(store, conn)
    store.queue.record_fetched([(SCENE, T0)])


def synced(store, conn, status: str = "synced", content_hash: Optional[str] = "h1") -> None:
    store.queue.enqueue([hook()])
    (job,) = store.queue.claim(1)
    store.queue.record_fetched([(SCENE, T0)])
    store.queue.complete(job, SyncOutcome(status, updated_at=T0, content_hash=content_hash))


def synced_and_pruned(store, conn) -> None:
    synced(store, conn)
    store.queue.prune()
    assert conn.execute(f"SELECT COUNT(*) FROM {QUEUE_TABLE}").fetchone()[0] == 0


def not_found(store, conn) -> None:
    synced(store, conn, status="not_found")


CASES = [
    ("new scene, hook", nothing, hook(), "queued"),
    ("new scene, bulk", nothing, bulk(T0), "queued"),
    ("pending, hook coalesces", pending, hook(), "coalesced"),
    ("pending, bulk coalesces", pending, bulk(T_NEWER), "coalesced"),
    ("running not fetched, hook", in_progress, hook(), "queued"),
    ("running not fetched, bulk", in_progress, bulk(T0), "queued"),
    ("running fetched same instant, bulk dropped", in_progress_fetched, bulk(T0_UTC), "dropped"),
    ("running fetched, bulk newer", in_progress_fetched, bulk(T_NEWER), "queued"),
    ("running fetched, hook never dropped", in_progress_fetched, hook(), "queued"),
    ("synced, bulk same updated_at", synced, bulk(T0), "dropped"),
    ("synced, bulk same instant other offset", synced, bulk(T0_UTC), "dropped"),
    ("synced, bulk older", synced, bulk(T_OLDER), "dropped"),
    ("synced, bulk newer", synced, bulk(T_NEWER), "queued"),
    ("synced, bulk newer instant but smaller text", synced, bulk(T_NEWER_TEXT_SMALLER), "queued"),
    ("synced, bulk same hash", synced, bulk(T0, "h1"), "dropped"),
    ("synced, bulk other hash", synced, bulk(T0, "h2"), "queued"),
    ("synced, hook never dropped", synced, hook(), "queued"),
    ("synced and pruned, bulk still dropped", synced_and_pruned, bulk(T0), "dropped"),
    ("synced, bulk without updated_at", synced, bulk(None), "queued"),
    ("synced, bulk with unreadable updated_at", synced, bulk("yesterday"), "queued"),
    ("not found in Plex does not count as synced", not_found, bulk(T0), "queued"),
]


@pytest.mark.parametrize("setup, request_, expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_dedup_rule(store, conn, setup: Callable, request_: EnqueueRequest, expected: str) -> None:
    setup(store, conn)
    result = store.queue.enqueue([request_])
    assert result == EnqueueResult(**{expected: 1})
    open_rows = conn.execute(f"SELECT COUNT(*) FROM {QUEUE_TABLE} WHERE status < 2").fetchone()[0]
    assert open_rows == (1 if expected in ("queued", "coalesced") else 0)


def test_hook_while_running_creates_exactly_one_new_pending_job(store, conn) -> None:
    in_progress(store, conn)
    result = store.queue.enqueue([hook(), hook(), bulk(T_NEWER), hook()])
    assert result == EnqueueResult(queued=1, coalesced=3)
    statuses = [row[0] for row in conn.execute(f"SELECT status FROM {QUEUE_TABLE} ORDER BY _id")]
    assert statuses == [2, 0]
    assert state_of(store, SCENE).job_id == 2


def test_completing_the_old_job_keeps_the_new_one_pending(store, conn) -> None:
    store.queue.enqueue([hook()])
    (running,) = store.queue.claim(1)
    store.queue.enqueue([hook()])
    store.queue.complete(running, SyncOutcome("synced", updated_at=T0))
    state = state_of(store, SCENE)
    assert state.status == "queued" and state.last_synced_updated_at == T0
    assert store.queue.enqueue([hook()]) == EnqueueResult(coalesced=1)
    (next_job,) = store.queue.claim(5)
    assert next_job.job_id == state.job_id != running.job_id


def test_many_requests_are_one_transaction(store, conn) -> None:
    statements = []
    conn.set_trace_callback(statements.append)
    result = store.queue.enqueue([EnqueueRequest(i % 550, "sync_all", force=False, updated_at=T0) for i in range(600)])
    conn.set_trace_callback(None)
    assert result == EnqueueResult(queued=550, coalesced=50)
    assert sum(1 for s in statements if s.strip().upper().startswith("BEGIN")) == 1
    assert sum(1 for s in statements if s.strip().upper() == "COMMIT") == 1


def test_payload_is_persist_queue_json_with_no_snapshot(store, conn) -> None:
    store.queue.enqueue([EnqueueRequest(42, "edited", force=True, updated_at=T0, content_hash="secret-ish")])
    data, timestamp, status = conn.execute(f"SELECT data, timestamp, status FROM {QUEUE_TABLE}").fetchone()
    payload = json.loads(bytes(data).decode("utf-8"))
    assert sorted(payload) == ["enqueued_at", "reason", "scene_id"]  # no decision flags when none apply
    assert bytes(data) == json.dumps(payload).encode("utf-8")
    assert (payload["scene_id"], payload["reason"], status) == (42, "edited", 0)
    assert isinstance(timestamp, float)


def test_decisions_are_stored_and_merged_when_requests_coalesce(store, conn) -> None:
    store.queue.enqueue([EnqueueRequest(5, "edited")])
    store.queue.enqueue([EnqueueRequest(5, "drift", full_push=True), EnqueueRequest(5, "scanned", file_lookup=True)])
    (job,) = store.queue.claim(5)
    assert (job.reason, job.full_push, job.file_lookup) == ("edited", True, True)
    store.queue.enqueue([EnqueueRequest(6, "created", file_lookup=True)])
    (job,) = store.queue.claim(5)
    assert (job.scene_id, job.full_push, job.file_lookup) == (6, False, True)
