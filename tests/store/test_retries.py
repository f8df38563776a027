"""Scheduled retries and dead letters."""

from __future__ import annotations

from store import dead_letters
from store.enqueue import EnqueueRequest, EnqueueResult, enqueue
from store.models import SyncOutcome
from store.state import get_state, status_counts

T0 = "2024-05-01T08:00:00Z"


def _claim_one(conn, jq, scene_id: int = 3):
    enqueue(conn, [EnqueueRequest(scene_id, "edited", True)])
    (job,) = jq.claim(1)
    return job


def test_retry_later_waits_for_its_time(conn, jq) -> None:
    job = _claim_one(conn, jq)
    assert jq.retry_later(job, "transient", "timeout", delay_s=30, now=1000.0) == 1
    state = get_state(conn, 3)
    assert (state.status, state.attempts, state.next_attempt_at) == ("failed", 1, 1030.0)
    assert (state.error_class, state.last_error) == ("transient", "timeout")
    assert jq.pending_count() == 0 and jq.claimed_count() == 0
    assert jq.next_retry_at() == 1030.0
    assert jq.release_due_retries(now=1029.9) == 0
    assert jq.claim(5) == []
    assert jq.release_due_retries(now=1030.0) == 1
    assert jq.next_retry_at() is None
    (again,) = jq.claim(5)
    assert (again.scene_id, again.reason) == (3, "retry")
    jq.complete(again, SyncOutcome("synced", updated_at=T0))
    state = get_state(conn, 3)
    assert (state.status, state.attempts, state.next_attempt_at, state.error_class) == ("synced", 0, None, None)


def test_plex_down_retries_keep_the_attempt_budget(conn, jq) -> None:
    job = _claim_one(conn, jq)
    assert jq.retry_later(job, "transient", "boom", 5, now=0.0) == 1
    for round_ in range(3):
        jq.release_due_retries(now=10.0 * (round_ + 1))
        (job,) = jq.claim(1)
        now = 10.0 * (round_ + 1)
        assert jq.retry_later(job, "plex_down", "connection refused", 5, count_attempt=False, now=now) == 1
    assert get_state(conn, 3).error_class == "plex_down"


def test_due_retry_for_a_scene_already_pending_is_not_doubled(conn, jq) -> None:
    job = _claim_one(conn, jq)
    jq.retry_later(job, "transient", "x", 1, now=0.0)
    enqueue(conn, [EnqueueRequest(3, "edited", True)])
    assert jq.release_due_retries(now=5.0) == 0
    assert jq.pending_count() == 1
    assert jq.next_retry_at() is None  # cleared, so the drainer does not spin on a past time


def test_dead_letter_list_retry_clear(conn, jq) -> None:
    first = _claim_one(conn, jq, scene_id=1)
    jq.dead_letter(first, "permanent", "x" * 10_000, attempts=4, now=50.0)
    second = _claim_one(conn, jq, scene_id=2)
    jq.dead_letter(second, "not_found", "no Plex item", attempts=2, now=60.0)
    assert status_counts(conn) == {"dead": 2}
    letters = dead_letters.list_dead_letters(conn)
    assert [(d.scene_id, d.error_class, d.attempts, d.reason) for d in letters] == [
        (2, "not_found", 2, "edited"),
        (1, "permanent", 4, "edited"),
    ]
    assert len(letters[1].message) == dead_letters.MESSAGE_CAP
    assert jq.pending_count() == 0

    assert dead_letters.retry(conn, [letters[1].id]) == 1
    assert [d.scene_id for d in dead_letters.list_dead_letters(conn)] == [2]
    (job,) = jq.claim(5)
    assert (job.scene_id, job.reason) == (1, dead_letters.RETRY_REASON)
    assert get_state(conn, 1).attempts == 0

    assert dead_letters.clear(conn) == 1
    assert dead_letters.count(conn) == 0
    assert enqueue(conn, [EnqueueRequest(2, "edited", True)]) == EnqueueResult(queued=1)


def test_release_puts_claimed_jobs_back_in_order(conn, jq) -> None:
    enqueue(conn, [EnqueueRequest(s, "edited", True) for s in (1, 2, 3)])
    jobs = jq.claim(2)
    assert jq.release(jobs) == 2
    assert [j.scene_id for j in jq.claim(5)] == [1, 2, 3]


def test_prune_if_due_runs_once_per_interval(conn, jq) -> None:
    job = _claim_one(conn, jq)
    jq.complete(job, SyncOutcome("synced", updated_at=T0))
    assert jq.prune_if_due(interval_s=60, now=100.0)
    assert conn.execute("SELECT COUNT(*) FROM ack_queue_default").fetchone()[0] == 0
    job = _claim_one(conn, jq)
    jq.complete(job, SyncOutcome("synced", updated_at=T0))
    assert not jq.prune_if_due(interval_s=60, now=159.0)
    assert conn.execute("SELECT COUNT(*) FROM ack_queue_default").fetchone()[0] == 1
