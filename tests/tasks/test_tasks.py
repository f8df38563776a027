"""The task buttons in-process on the in-memory Stash and Plex: summaries, status, dead letters, dry run."""

from __future__ import annotations

import pytest

from plugin.errors import PluginError
from sync_queue.dedup import EnqueueRequest
from sync_queue.vocab import SceneStatus
from tasks import admin, sync
from tasks.runner import TASKS, run_task
from tests.fakes import FakePlex, FakeStash, make_context, scene
from worker.batch import Tally


@pytest.fixture
def world(tmp_path):
    stash = FakeStash([scene(i) for i in range(1, 6)] + [scene(6, path="/elsewhere/a.mp4"),
                                                          scene(7, path="/other/a.mp4")])
    plex = FakePlex()
    for i in range(1, 5):  # 5 is not in Plex; 6 and 7 share a file name with two Plex items
        plex.add(100 + i, f"/data/scene-{i}.mp4")
    plex.add(201, "/plex/x/a.mp4")
    plex.add(202, "/plex/y/a.mp4")
    ctx = make_context(tmp_path, stash, plex, path_map="/data=/data")
    yield ctx, stash, plex
    ctx.close()


def test_sync_all_summary_then_an_unchanged_rerun(world) -> None:
    ctx, _, plex = world
    assert sync.sync_all(ctx) == "Sync All: 4 synced, 0 unchanged, 1 not in Plex, 2 ambiguous, 0 failed"
    plex.requests.clear()
    assert sync.sync_all(ctx) == "Sync All: 0 synced, 4 unchanged, 1 not in Plex, 2 ambiguous, 0 failed"
    assert plex.writes() == []


def test_a_foreground_drain_that_loses_plex_fails_with_what_stays_queued(world, monkeypatch) -> None:
    monkeypatch.setenv("STASH2PLEX_TASK_OUTAGE_S", "0.2")
    ctx, _, plex = world
    ctx.library()
    plex.down = True
    with pytest.raises(PluginError, match=r"Plex is not reachable\. .*; 7 scenes stay queued"):
        sync.sync_all(ctx)


def test_queue_status_and_dead_letters(world) -> None:
    ctx, stash, _ = world
    sync.sync_all(ctx)
    ctx.store.queue.enqueue([EnqueueRequest(42, "edited")])
    sync.process_queue(ctx)  # scene 42 does not exist in Stash: a dead letter
    status = admin.queue_status(ctx)
    assert "queued 0, in progress 0" in status and "dead letters 1" in status and "drainer idle" in status
    assert "ambiguous 2" in status and "dead 1" in status and "synced 4" in status
    assert admin.dead_letters_list(ctx) == "1 dead letters"
    stash.scenes[42] = scene(42, path="/data/scene-1.mp4")
    assert admin.dead_letters_retry(ctx).startswith("1 dead letters queued again; 1 synced")
    assert admin.dead_letters_clear(ctx) == "0 dead letters cleared"


def test_dry_run_writes_nothing_and_names_the_fields(world) -> None:
    ctx, stash, plex = world
    sync.sync_all(ctx)
    stash.scenes[1].update(title="New title", updated_at="2024-06-01T00:00:00Z")
    plex.requests.clear()
    summary = admin.dry_run(ctx)
    assert summary == ("Dry run (nothing written): 2 ambiguous, 1 not found, 3 unchanged, 1 would change; "
                       "fields that would change: title 1")
    assert plex.writes() == [] and ctx.store.queue.pending_count() == 0


def test_health_check_reports_libraries_and_a_sample(world, tmp_path) -> None:
    ctx, _, plex = world
    assert admin.health_check(ctx) == ("Health check passed: Plex reachable, token valid, 1 libraries, sample of "
                                       "scenes: 2 ambiguous, 4 matched, 1 not found")
    plex.down = True
    unreachable = make_context(tmp_path / "other", FakeStash(), plex)
    with pytest.raises(PluginError, match="Health check failed: Plex is not reachable"):
        admin.health_check(unreachable)
    unreachable.close()


def test_tally_summary_names_every_outcome() -> None:
    tally = Tally()
    for status in (SceneStatus.SYNCED, SceneStatus.SYNCED, SceneStatus.DEAD, SceneStatus.RETRYING):
        tally.add(status)
    assert tally.summary() == "2 synced, 0 unchanged, 0 not found, 0 ambiguous, 1 retrying, 1 failed"
    assert tally.done == 4


def test_unknown_task_mode_is_named_with_the_known_ones() -> None:
    from plugin.io import read_input

    task_input = read_input('{"server_connection": {"Scheme": "http", "Host": "127.0.0.1", "Port": 9}, '
                            '"args": {"mode": "sync_everything"}}')
    with pytest.raises(PluginError, match="Unknown task mode 'sync_everything'; expected one of dead_letters_clear"):
        run_task(task_input)
    assert {name for name, task in TASKS.items() if task.drains} == {
        "sync_all", "sync_recent", "process_queue", "reconcile_all", "reconcile_recent", "dead_letters_retry",
        "import_watch_state"}


def test_scope_rules_are_counted_by_sync_all_and_dry_run(tmp_path) -> None:
    stash = FakeStash([scene(1, organized=False), scene(2, tags=("Private",)), scene(3, tags=("private", "x")),
                       scene(4)])
    plex = FakePlex()
    for i in range(1, 5):
        plex.add(100 + i, f"/data/scene-{i}.mp4")
    ctx = make_context(tmp_path, stash, plex, only_organized=True, skip_tags="Private")
    assert admin.dry_run(ctx).startswith("Dry run (nothing written): 1 out of scope (not organized), "
                                         "2 out of scope (skip tags), 1 would change")
    assert sync.sync_all(ctx) == ("Sync All: 1 synced, 0 unchanged, 0 not in Plex, 0 ambiguous, 0 failed, "
                                  "3 out of scope (not organized 1, skip tags 2)")
    assert [key for _, key in plex.writes()] == [104, 104]
    ctx.close()
