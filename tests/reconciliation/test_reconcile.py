"""The gap engine and the auto-reconcile schedule, in-process on the in-memory Stash and Plex."""

from __future__ import annotations

import pytest

from reconciliation.engine import run_reconcile
from reconciliation.schedule import request_reconcile_if_due
from sync_queue import meta
from sync_queue.dedup import EnqueueRequest
from sync_queue.drain_requests import DELETED, RECONCILE
from sync_queue.vocab import SceneStatus
from tests.fakes import FakePlex, FakeStash, make_context, scene
from worker.batch import Tally, run_batch


@pytest.fixture
def world(tmp_path):
    stash = FakeStash([scene(i) for i in range(1, 6)])
    plex = FakePlex()
    for i in range(1, 5):  # scene 5 is not in Plex
        plex.add(100 + i, f"/data/scene-{i}.mp4")
    plex.add(999, "/data/unclaimed.mp4")
    ctx = make_context(tmp_path, stash, plex)
    ctx.store.queue.enqueue([EnqueueRequest(i, "edited") for i in range(1, 6)])
    run_batch(ctx, ctx.store.queue.claim(10), Tally())
    yield ctx, stash, plex
    ctx.close()


def reconcile(ctx, scope="all"):
    report = run_reconcile(ctx.settings, ctx.store, ctx.stash, ctx.library(reread=True), scope)
    jobs = ctx.store.queue.claim(100)
    ctx.store.queue.release(jobs)
    return report, {job.scene_id: job for job in jobs}


def test_in_step_library_has_no_gap_but_the_absent_and_unclaimed(world) -> None:
    ctx, _, _ = world
    report, jobs = reconcile(ctx)
    assert jobs == {} and report.scenes == 5
    assert report.gaps == {"not_in_plex": 1, "unclaimed_in_plex": 1}
    assert report.examples["unclaimed_in_plex"] == ["999 /data/unclaimed.mp4"]


def test_each_gap_is_queued_with_its_reason_and_decisions(world) -> None:
    ctx, stash, plex = world
    stash.scenes[6] = scene(6)  # never synced
    stash.scenes[1]["updated_at"] = "2024-06-01T08:00:00Z"  # changed in Stash
    stash.scenes[2]["tags"] = [{"id": "0", "name": "Renamed"}]  # changed without a new updated_at
    plex.items[103].fields["title"] = "Edited in Plex"  # drifted
    report, jobs = reconcile(ctx)
    assert report.gaps == {"never_synced": 1, "changed": 2, "drifted": 1, "not_in_plex": 1, "unclaimed_in_plex": 1}
    assert {i: (j.reason, j.full_push) for i, j in jobs.items()} == {
        6: ("never_synced", False), 1: ("changed", False), 2: ("changed", False), 3: ("drift", True)}


def test_drift_is_left_alone_when_plex_edits_are_preserved(tmp_path) -> None:
    stash, plex = FakeStash([scene(1)]), FakePlex()
    plex.add(101, "/data/scene-1.mp4")
    ctx = make_context(tmp_path, stash, plex, preserve_plex_edits=True)
    ctx.store.queue.enqueue([EnqueueRequest(1, "edited")])
    run_batch(ctx, ctx.store.queue.claim(10), Tally())
    plex.items[101].fields["title"] = "Mine"
    report, jobs = reconcile(ctx)
    assert jobs == {} and report.gaps == {}
    ctx.close()


def test_scenes_plex_lacked_are_retried_once_plex_rescanned(world) -> None:
    ctx, _, plex = world
    assert ctx.store.scenes.get_many([5])[5].status == SceneStatus.RETRYING
    report, jobs = reconcile(ctx, "recent")
    assert jobs == {}
    plex.add(105, "/data/scene-5.mp4")
    plex.rescan()
    report, jobs = reconcile(ctx, "recent")  # scene 5 is not recent: found through the absent scenes
    assert list(jobs) == [5] and jobs[5].reason == "library_rescanned"


def test_a_recent_reconcile_reads_only_scenes_changed_since_the_last(world) -> None:
    ctx, stash, _ = world
    ctx.store.meta.set(meta.LAST_RECONCILE_RUN, "1717200000")  # 2024-06-01T00:00:00Z
    stash.scenes[2].update(updated_at="2024-06-02T00:00:00Z", title="New")
    report, jobs = reconcile(ctx, "recent")
    assert report.scenes == 1 and list(jobs) == [2]


def test_auto_reconcile_is_claimed_once_per_interval(world) -> None:
    ctx, _, _ = world
    store = ctx.store
    assert request_reconcile_if_due(store, now=1000.0)
    assert store.requests.done(store.requests.get(RECONCILE))  # what the drainer does once it ran
    assert not request_reconcile_if_due(store, now=1000.0 + 3599)
    assert request_reconcile_if_due(store, now=1000.0 + 3600)
    store.meta.cache_settings(True, None, "all")  # interval "never"
    assert not request_reconcile_if_due(store, now=1e9)


def test_an_auto_reconcile_never_shrinks_a_waiting_deletion_reconcile(world) -> None:
    """A deletion asks for a full reconcile (its scenes' updated_at did not move); the next hook's due
    auto-reconcile ("recent") must not replace it."""
    store = world[0].store
    deletion = store.requests.ask(RECONCILE, DELETED, scope="all")
    assert request_reconcile_if_due(store, now=5000.0)  # claimed (the interval is spent) ...
    assert store.requests.get(RECONCILE) == deletion  # ... the full one kept
