"""The infinite-requeue bug at the queue level: completing work must not make bulk passes requeue it."""

from __future__ import annotations

import threading

from sync_queue import Store
from sync_queue.ackqueue import TABLE as QUEUE_TABLE
from sync_queue.dedup import EnqueueRequest, EnqueueResult
from sync_queue.queue import SyncOutcome

N = 40
ROUNDS = 15


def updated_at(scene_id: int) -> str:
    return f"2024-05-{1 + scene_id % 28:02d}T08:{scene_id % 60:02d}:00+00:00"


def bulk_pass(content_hash=None):
    return [EnqueueRequest(s, "reconcile", False, updated_at(s), content_hash) for s in range(N)]


def test_bulk_passes_during_a_drain_complete_each_scene_once(db_path, store, conn) -> None:
    # The drainer's claim+fetch step is atomic with respect to bulk passes here: a pass that lands
    # between claim and fetch legitimately queues one more job (tested in test_dedup), and would
    # make the total depend on scheduling.
    step = threading.Lock()
    completed, errors = [], []
    enqueuing_done = threading.Event()

    def enqueuer() -> None:
        own = Store(db_path)
        try:
            for _ in range(ROUNDS):
                with step:
                    own.queue.enqueue(bulk_pass())
        except BaseException as exc:
            errors.append(exc)
        finally:
            own.close()

    def drainer() -> None:
        own = Store(db_path)
        queue = own.queue
        try:
            while True:
                with step:
                    jobs = queue.claim(5)
                    for job in jobs:
                        queue.record_fetched([(job.scene_id, updated_at(job.scene_id))])
                if not jobs and enqueuing_done.is_set() and queue.pending_count() == 0:
                    return
                for job in jobs:
                    queue.complete(job, SyncOutcome("synced", updated_at=updated_at(job.scene_id), content_hash="h"))
                    completed.append(job.scene_id)
        except BaseException as exc:
            errors.append(exc)
        finally:
            own.close()

    enqueuers = [threading.Thread(target=enqueuer) for _ in range(2)]
    drain = threading.Thread(target=drainer)
    for thread in enqueuers + [drain]:
        thread.start()
    for thread in enqueuers:
        thread.join()
    enqueuing_done.set()
    drain.join()
    assert errors == []
    assert sorted(completed) == list(range(N))

    store.queue.prune()
    assert conn.execute(f"SELECT COUNT(*) FROM {QUEUE_TABLE}").fetchone()[0] == 0
    assert store.queue.enqueue(bulk_pass()) == EnqueueResult(dropped=N)
    assert store.queue.enqueue(bulk_pass(content_hash="h")) == EnqueueResult(dropped=N)
    assert store.queue.enqueue(bulk_pass(content_hash="changed")) == EnqueueResult(queued=N)
