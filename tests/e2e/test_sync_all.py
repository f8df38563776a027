"""Sync All through the simulators, the plugin spawned as Stash spawns it."""

from __future__ import annotations

import pytest

from simulators import dataset

pytestmark = pytest.mark.e2e  # the plugin spawned as Stash spawns it, against both simulators


def test_sync_all_converges_and_second_run_writes_nothing(make_env):
    env = make_env(scenes=40)
    run = env.task("Sync All Scenes to Plex")
    assert run.error is None, run.logs
    assert run.progress and run.progress[-1] == 1.0
    for scene_id in range(1, 41):
        if dataset.in_plex(str(scene_id)):
            env.assert_in_step(scene_id)
        else:
            assert env.plex_item_for_scene(scene_id) is None
    assert "not in Plex" in (run.output or "")
    env.plex.reset_counts()
    second = env.task("Sync All Scenes to Plex")
    assert second.error is None
    assert env.plex.counts.get("edit", 0) == 0 and env.plex.counts.get("poster", 0) == 0
