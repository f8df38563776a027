"""The database stays small (issue 11): hook firings by the hundred thousand, drained and pruned hourly, leave a
file of a few megabytes, and an enqueue costs what it cost on an empty queue (counted in SQLite VM steps, which
the machine's load cannot move)."""

from __future__ import annotations

import os

import pytest

from sync_queue import Store
from sync_queue.dedup import EnqueueRequest
from sync_queue.queue import SyncOutcome

T0 = "2024-05-01T08:00:00Z"


def _sync(store: Store, scene_ids: list[int]) -> None:
    store.queue.enqueue([EnqueueRequest(i, "edited") for i in scene_ids])
    for job in store.queue.claim(1000):
        store.queue.complete(job, SyncOutcome("synced", updated_at=T0, content_hash="h"))


def _enqueue_steps(store: Store, scene_id: int) -> int:
    """SQLite virtual-machine steps one hook's enqueue takes (the progress handler runs at every step)."""
    steps = [0]
    store._conn.set_progress_handler(lambda: steps.__setitem__(0, steps[0] + 1), 1)
    store.queue.enqueue([EnqueueRequest(scene_id, "edited")])
    store._conn.set_progress_handler(None, 0)
    return steps[0]


@pytest.mark.parametrize("firings, scenes", [
    (100_000, 10_000),
    pytest.param(1_000_000, 100_000, marks=pytest.mark.long),
])
def test_the_database_stays_small_and_enqueue_cost_flat(tmp_path, firings, scenes) -> None:
    path = tmp_path / "stash2plex.sqlite3"
    with Store(path) as store:
        _sync(store, [1])
        first_cost = _enqueue_steps(store, 1)  # a synced scene's hook, on an empty history
        _sync(store, [])
        for start in range(0, firings, 1000):  # a hook firing per scene, drained as they come
            with store.transaction():
                store.queue.enqueue([EnqueueRequest((start + i) % scenes + 1, "edited") for i in range(1000)])
                for job in store.queue.claim(1000):
                    store.queue.complete(job, SyncOutcome("synced", updated_at=T0, content_hash="h"))
            if start % (firings // 10) == 0:  # the drainer's hourly prune
                store.queue.prune()
        store.queue.prune()
        last_cost = _enqueue_steps(store, 1)  # the same, behind the history
        size = sum(os.path.getsize(str(path) + suffix) for suffix in ("", "-wal") if os.path.exists(str(path) + suffix))
    assert size < 50 * 1024 * 1024, f"{size / 1e6:.1f} MB after {firings} firings"
    assert last_cost <= first_cost * 1.2, (first_cost, last_cost)
