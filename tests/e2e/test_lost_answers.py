"""Writes Plex applied but never answered (the connection closed instead), through both simulators with the plugin
spawned as Stash spawns it: nothing is applied twice that must not be, and nothing is lost."""

from __future__ import annotations

import time

import pytest

from simulators import dataset
from tests.e2e.test_watch_state import _ADD_PLAY, _RESUME, stash_watch

pytestmark = pytest.mark.e2e


def settle(env, task: str, timeout: float = 120.0):
    """Runs `task`, then Process Queue until no scene waits for a retry (a job whose request lost its answer
    twice is retried after its backoff): a bounded poll, no timed assertion."""
    run = env.task(task)
    deadline = time.monotonic() + timeout
    while True:
        assert run.error is None, run.error
        with env.db() as conn:
            waiting = conn.execute("SELECT COUNT(*) FROM scene_state WHERE status = 'retrying'").fetchone()[0]
        if waiting == 0:
            return run
        assert time.monotonic() < deadline, f"{waiting} scenes still retrying after {timeout} s: {run.output}"
        time.sleep(0.5)
        run = env.task("Process Queue")


def test_a_fifth_of_writes_applied_then_dropped_count_once_and_lose_nothing(make_env):
    """Every kind of write (edit PUT, poster POST, scrobble, progress) is applied and then its connection closed,
    one time in five. Metadata ends in step, each item with a cover has exactly one poster upload, and plays and
    resume points arrive exactly: a lost answer is checked in Plex, never resent blindly."""
    env = make_env(scenes=60, reconcile_interval=0, sync_watch_state=True, skip_not_found=True)
    env.plex.faults.drop_after_apply = 0.2
    settle(env, "Sync All Scenes to Plex")
    in_plex = [i for i in range(1, 61) if dataset.in_plex(str(i)) and i % dataset.SHARED_NAME_EVERY]
    assert len(in_plex) >= 30
    for scene_id in in_plex:
        env.assert_in_step(scene_id)
        has_cover = scene_id % dataset.NO_COVER_EVERY != 0
        assert env.plex_item_for_scene(scene_id).poster_uploads == int(has_cover), scene_id
    synced = env.plex.faults.dropped
    assert synced >= 10, "the fault never fired: the test would prove nothing"

    rk = {i: env.plex_item_for_scene(i).rating_key for i in in_plex}
    played_in_stash, watched_in_plex = in_plex[:20], in_plex[20:30]
    for n, scene_id in enumerate(played_in_stash):
        env.stash.graphql(_ADD_PLAY, {"id": str(scene_id), "t": ["2026-11-30T20:00:00Z"] * (1 + n % 3)})
        if n % 2:
            env.stash.graphql(_RESUME, {"id": str(scene_id), "s": 90.0 + n})
    for n, scene_id in enumerate(watched_in_plex):
        env.plex.user_watch(rk[scene_id], plays=1 + n % 2)
    run = settle(env, "Import Watch State")
    assert env.plex.faults.dropped > synced, "no scrobble or progress lost its answer"
    for n, scene_id in enumerate(played_in_stash):
        item = env.plex.item(rk[scene_id])
        assert item.view_count == 1 + n % 3, (scene_id, run.output)
        assert item.view_offset == (round((90.0 + n) * 1000) if n % 2 else 0), scene_id
        assert stash_watch(env, scene_id)["play_count"] == 1 + n % 3, scene_id  # no play came back as Plex's
    for n, scene_id in enumerate(watched_in_plex):
        assert stash_watch(env, scene_id)["play_count"] == 1 + n % 2, scene_id
        assert env.plex.item(rk[scene_id]).view_count == 1 + n % 2, scene_id

    env.plex.faults.drop_after_apply = 0.0
    env.plex.reset_counts()
    run = env.task("Import Watch State")
    assert "moved 0 plays and 0 resume points to Stash, 0 plays and 0 resume points to Plex" in run.output, run.output
    assert env.task("Sync All Scenes to Plex").error is None
    assert env.plex.counts.get("poster", 0) == 0 and env.plex.counts.get("watch", 0) == 0
