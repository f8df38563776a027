"""The drainer's two threads: the worker drains, the main thread keeps the lease alive and answers a stop."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import pytest

from sync_queue import Store, meta
from sync_queue.dedup import EnqueueRequest
from sync_queue.drain_requests import AUTO, BULK_SYNC, DELETED, LISTED, RECONCILE, RUNNING, TASK, WATCH
from sync_queue.vocab import SceneStatus
from tests.fakes import in_plex, make_context
from worker.drainer import Drainer, Timings

FAST = Timings(heartbeat_s=0.05, lease_ttl_s=0.3, idle_grace_s=0.1, idle_poll_s=0.01, max_probe_wait_s=0.05,
               task_outage_s=0.3)


@pytest.fixture
def world(tmp_path):
    stash, plex = in_plex(6)
    ctx = make_context(tmp_path, stash, plex, batch_size=2, plex_parallelism=1)
    ctx.store.queue.enqueue([EnqueueRequest(i, "edited") for i in range(1, 7)])
    yield ctx, stash, plex
    ctx.close()


def test_drains_every_batch_and_releases_the_lease(world) -> None:
    ctx, _, plex = world
    progress = []
    report = Drainer(ctx, linger=False, progress=lambda t: progress.append(t.done), timings=FAST).run()
    assert report.error is None and report.tally.counts == {SceneStatus.SYNCED: 6}
    assert ctx.store.queue.pending_count() == 0 and not ctx.store.lease.is_held()
    assert progress and progress[-1] == 6


def _intruder(path, stop: threading.Event, won: list) -> threading.Thread:
    """Another drainer trying to take the lease over for as long as the first one runs."""
    def attempt() -> None:
        with Store(path) as other:
            while not other.lease.is_held() and not stop.is_set():  # the drainer first
                time.sleep(0.005)
            while not stop.is_set():
                if other.lease.acquire("intruder", 60.0):
                    won.append(time.monotonic())
                    return
                time.sleep(0.02)

    return threading.Thread(target=attempt)


@pytest.mark.parametrize("heartbeat_s, taken_over", [(0.1, False), (30.0, True)])
def test_the_heartbeat_keeps_the_lease_through_batches_longer_than_its_ttl(world, heartbeat_s, taken_over) -> None:
    """Each batch outlasts the lease's TTL; only the heartbeat keeps another drainer out (the second case,
    without it, shows the intruder does get in, and the drainer then stops as fenced)."""
    ctx, _, plex = world
    plex.latency_s = 0.3  # 2 scenes x (edit + poster) per batch, one at a time: 1.2 s, the TTL 1 s
    stop, won = threading.Event(), []
    intruder = _intruder(ctx.store.path, stop, won)
    timings = Timings(heartbeat_s=heartbeat_s, lease_ttl_s=1.0, idle_grace_s=0.1, idle_poll_s=0.01)
    drainer = Drainer(ctx, linger=False, timings=timings)
    intruder.start()
    try:
        report = drainer.run()
    finally:
        stop.set()
        intruder.join()
    if taken_over:  # the intruder got in while the drainer ran, and the drainer stopped as fenced
        assert won and report.stopped_early == "another drainer took the lease over"
    else:  # (the intruder may take the lease once it is released: that is no takeover)
        assert report.stopped_early is None and report.tally.counts == {SceneStatus.SYNCED: 6}


def test_a_stop_request_ends_the_drain_after_the_current_batch(world) -> None:
    ctx, _, plex = world
    plex.latency_s = 0.05
    drainer = Drainer(ctx, linger=True, timings=FAST)
    threading.Timer(0.1, drainer.stop.set).start()
    report = drainer.run()
    assert 0 < report.tally.done < 6 and report.tally.done % 2 == 0  # whole batches only
    assert ctx.store.queue.claimed_count() == 0 and ctx.store.queue.pending_count() == 6 - report.tally.done
    assert not ctx.store.lease.is_held()


def test_a_lingering_drainer_waits_out_the_grace_for_late_hooks(world) -> None:
    ctx, _, _ = world
    drainer = Drainer(ctx, linger=True, timings=Timings(idle_grace_s=0.5, idle_poll_s=0.01))
    late = threading.Timer(0.25, lambda: Store(ctx.store.path).queue.enqueue([EnqueueRequest(1, "edited")]))
    late.start()
    started = time.monotonic()
    report = drainer.run()
    late.join()
    assert report.tally.done == 7 and time.monotonic() - started >= 0.5


def test_a_failure_in_the_worker_reaches_the_report(world) -> None:
    ctx, stash, _ = world
    stash.down = True
    report = Drainer(ctx, linger=False, timings=FAST).run()
    assert report.error == "Stash is not reachable at http://stash (connection refused)."
    assert ctx.store.queue.pending_count() == 6 and ctx.store.queue.claimed_count() == 0


def test_a_task_waits_a_short_outage_then_hands_over(world) -> None:
    ctx, _, plex = world
    ctx.library()
    ctx.breaker.first_probe_s = ctx.breaker._probe_delay = 0.05
    plex.down = True
    report = Drainer(ctx, linger=False, timings=FAST).run()
    assert report.error == "Plex is not reachable" and report.handed_over
    assert report.tally.counts[SceneStatus.RETRYING] >= 3
    assert ctx.store.dead_letters.count() == 0
    probes = [r for r in plex.requests if r[0] == "ping"]
    assert 1 <= len(probes) <= 4  # one per backoff interval (0.05, 0.1, 0.2 s) within the 0.3 s it waited


def test_a_task_rides_out_an_outage_shorter_than_its_wait(world) -> None:
    ctx, _, plex = world
    ctx.library()
    ctx.breaker.first_probe_s = ctx.breaker._probe_delay = 0.05
    plex.down = True
    threading.Timer(0.15, lambda: setattr(plex, "down", False)).start()
    report = Drainer(ctx, linger=False, timings=Timings(**{**FAST.__dict__, "task_outage_s": 5.0})).run()
    assert report.error is None and ctx.store.scenes.status_counts() == {"synced": 6}


def test_a_detached_drainer_probes_until_plex_answers_then_finishes(world) -> None:
    ctx, _, plex = world
    ctx.library()
    plex.down = True
    ctx.breaker.first_probe_s = ctx.breaker._probe_delay = 0.05
    threading.Timer(0.3, lambda: setattr(plex, "down", False)).start()
    report = Drainer(ctx, linger=True, timings=FAST).run()
    assert report.error is None and ("ping", None) in plex.requests
    assert ctx.store.scenes.status_counts() == {"synced": 6}


def test_renames_and_reconcile_requests_are_taken_up(world) -> None:
    ctx, stash, plex = world
    Drainer(ctx, linger=False, timings=FAST).run()
    stash.scenes[2]["tags"] = [{"id": "7", "name": "Renamed tag"}]
    ctx.store.entities.add("tag", 7)
    ctx.store.requests.ask(RECONCILE, AUTO, scope="recent")
    report = Drainer(ctx, linger=False, timings=FAST).run()
    assert report.tally.counts == {SceneStatus.SYNCED: 1} and plex.items[102].fields["genres"] == ["Renamed tag"]
    assert ctx.store.entities.pending() == [] and ctx.store.requests.get(RECONCILE) is None
    assert ctx.store.meta.get_float(meta.LAST_RECONCILE_RUN) > 0


def test_a_reconcile_cut_short_keeps_its_request_for_the_next_drainer(world) -> None:
    """The request is cleared only when the reconcile has queued its last page: a drainer that dies part-way
    (here Stash fails under it) leaves it, and the next drainer runs it."""
    ctx, stash, plex = world
    Drainer(ctx, linger=False, timings=FAST).run()
    stash.scenes[3].update(title="Found by the second try", updated_at="2024-06-01T00:00:00Z")
    deletion = ctx.store.requests.ask(RECONCILE, DELETED, scope="all")
    stash.down = True
    assert Drainer(ctx, linger=False, timings=FAST).run().error
    assert ctx.store.requests.get(RECONCILE) == deletion
    stash.down = False
    Drainer(ctx, linger=False, timings=FAST).run()
    assert ctx.store.requests.get(RECONCILE) is None
    assert plex.items[103].fields["title"] == "Found by the second try"


def test_a_bulk_sync_that_died_while_queueing_is_finished_by_a_reconcile(world) -> None:
    """Sync All marks its request while it queues pages; a drainer leaves the mark of a live Sync All alone and
    turns the mark of a dead one into the reconcile that queues the scenes it had not reached."""
    ctx, stash, plex = world
    Drainer(ctx, linger=False, timings=FAST).run()
    stash.scenes[3].update(title="Never reached", updated_at="2024-06-01T00:00:00Z")
    alive = ctx.store.requests.ask(BULK_SYNC, RUNNING, scope="all", pid=os.getpid())
    Drainer(ctx, linger=False, timings=FAST).run()
    assert ctx.store.requests.get(BULK_SYNC) == alive and plex.items[103].fields["title"] == "Scene 3"
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    ctx.store.requests.ask(BULK_SYNC, RUNNING, scope="all", pid=int(gone.stdout))
    ctx.store.requests.ask(RECONCILE, AUTO, scope="recent")  # a hook's auto-reconcile since: a row of its own
    Drainer(ctx, linger=False, timings=FAST).run()
    assert ctx.store.requests.get(BULK_SYNC) is None and plex.items[103].fields["title"] == "Never reached"


def test_a_watch_pass_after_a_reconcile_does_not_read_the_listings_again(tmp_path) -> None:
    """The Reconcile task has just re-read Plex's listings (they carry the watch state): the pass it asks for
    uses them; an Import Watch State request reads them first."""
    stash, plex = in_plex(3)
    ctx = make_context(tmp_path, stash, plex, sync_watch_state=True)
    ctx.library()  # the index exists, as after the task's reconcile
    for reason, listings in ((LISTED, 0), (TASK, 1)):
        plex.requests.clear()
        ctx.store.requests.ask(WATCH, reason)
        Drainer(ctx, linger=False, timings=FAST).run()
        assert ctx.store.requests.get(WATCH) is None and ctx.store.meta.stamped(meta.WATCH_LAST_MOVE)
        assert plex.requests.count(("listing", None)) == listings, reason
    ctx.close()


def test_a_drainers_reconcile_is_followed_by_one_watch_pass_on_the_listings_it_read(tmp_path) -> None:
    """A waiting Import Watch State request and a reconcile in the same turn: one pass, after the reconcile, with
    no second read of the listings."""
    stash, plex = in_plex(3)
    ctx = make_context(tmp_path, stash, plex, sync_watch_state=True, reconcile_interval=60)
    ctx.store.requests.ask(RECONCILE, AUTO, scope="all")
    ctx.store.requests.ask(WATCH, TASK)
    Drainer(ctx, linger=False, timings=FAST).run()
    assert ctx.store.requests.get(RECONCILE) is None and ctx.store.requests.get(WATCH) is None
    assert ctx.store.meta.stamped(meta.WATCH_LAST_MOVE)
    assert plex.requests.count(("listing", None)) == 1
    ctx.close()
