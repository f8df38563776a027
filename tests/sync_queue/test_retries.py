"""Scheduled retries and dead letters."""

from __future__ import annotations

from sync_queue.dead_letters import MESSAGE_CAP
from sync_queue.dedup import EnqueueRequest, EnqueueResult
from sync_queue.queue import SyncOutcome

from .conftest import state_of

T0 = "2024-05-01T08:00:00Z"


def _claim_one(store, conn, scene_id: int = 3):
    store.queue.enqueue([EnqueueRequest(scene_id, "edited", True)])
    (job,) = store.queue.claim(1)
    return job


def test_retry_later_waits_for_its_time(store, conn) -> None:
    job = _claim_one(store, conn)
    store.queue.retry_later(job, "transient", "timeout", delay_s=30, now=1000.0)
    state = state_of(store, 3)
    assert (state.status, state.attempts, state.next_attempt_at) == ("retrying", 1, 1030.0)
    assert (state.error_class, state.last_error) == ("transient", "timeout")
    assert store.queue.pending_count() == 0 and store.queue.claimed_count() == 0
    assert store.queue.next_retry_at() == 1030.0
    assert store.queue.release_due_retries(now=1029.9) == 0
    assert store.queue.claim(5) == []
    assert store.queue.release_due_retries(now=1030.0) == 1
    assert store.queue.next_retry_at() is None
    (again,) = store.queue.claim(5)
    assert (again.scene_id, again.reason) == (3, "retry")
    store.queue.complete(again, SyncOutcome("synced", updated_at=T0))
    state = state_of(store, 3)
    assert (state.status, state.attempts, state.next_attempt_at, state.error_class) == ("synced", 0, None, None)


def test_plex_down_retries_keep_the_attempt_budget(store, conn) -> None:
    job = _claim_one(store, conn)
    store.queue.retry_later(job, "transient", "boom", 5, now=0.0)
    for round_ in range(3):
        store.queue.release_due_retries(now=10.0 * (round_ + 1))
        (job,) = store.queue.claim(1)
        now = 10.0 * (round_ + 1)
        store.queue.retry_later(job, "plex_down", "connection refused", 5, count_attempt=False, now=now)
        assert state_of(store, 3).attempts == 1
    assert state_of(store, 3).error_class == "plex_down"


def test_due_retry_for_a_scene_already_pending_is_not_doubled(store, conn) -> None:
    job = _claim_one(store, conn)
    store.queue.retry_later(job, "transient", "x", 1, now=0.0)
    store.queue.enqueue([EnqueueRequest(3, "edited", True)])
    assert store.queue.release_due_retries(now=5.0) == 0
    assert store.queue.pending_count() == 1
    assert store.queue.next_retry_at() is None  # cleared, so the drainer does not spin on a past time


def test_dead_letter_list_retry_clear(store, conn) -> None:
    first = _claim_one(store, conn, scene_id=1)
    store.queue.dead_letter(first, "permanent", "x" * 10_000, attempts=4, now=50.0)
    second = _claim_one(store, conn, scene_id=2)
    store.queue.dead_letter(second, "not_found", "no Plex item", attempts=2, now=60.0)
    assert store.scenes.status_counts() == {"dead": 2}
    letters = store.dead_letters.newest()
    assert [(d.scene_id, d.error_class, d.attempts, d.reason) for d in letters] == [
        (2, "not_found", 2, "edited"),
        (1, "permanent", 4, "edited"),
    ]
    assert len(letters[1].message) == MESSAGE_CAP
    assert store.queue.pending_count() == 0

    assert store.dead_letters.retry(None) == 2
    assert store.dead_letters.count() == 0
    assert [(j.scene_id, j.reason) for j in store.queue.claim(5)] == [(1, "dead_letter_retry"),
                                                                      (2, "dead_letter_retry")]
    assert state_of(store, 1).attempts == 0


def test_dead_letters_clear(store, conn) -> None:
    store.queue.dead_letter(_claim_one(store, conn, scene_id=1), "permanent", "refused", attempts=1)
    assert store.dead_letters.clear_all() == 1
    assert store.dead_letters.count() == 0
    assert store.queue.enqueue([EnqueueRequest(1, "edited", True)]) == EnqueueResult(queued=1)


def test_release_puts_claimed_jobs_back_in_order(store, conn) -> None:
    store.queue.enqueue([EnqueueRequest(s, "edited", True) for s in (1, 2, 3)])
    jobs = store.queue.claim(2)
    assert store.queue.release(jobs) == 2
    assert [j.scene_id for j in store.queue.claim(5)] == [1, 2, 3]


def test_prune_deletes_acked_rows_only(store, conn) -> None:
    job = _claim_one(store, conn)
    store.queue.complete(job, SyncOutcome("synced", updated_at=T0))
    store.queue.enqueue([EnqueueRequest(4, "edited")])
    store.queue.prune()
    assert conn.execute("SELECT status FROM ack_queue_default").fetchall() == [(0,)]
