"""Sync All and an edit through the simulators, the plugin spawned as Stash spawns it, on the oldest Stash the
plugin supports, the latest release and develop (each simulator refuses what that version's schema refuses)."""

from __future__ import annotations

import pytest

from simulators import dataset
from simulators.shared import LATEST_RELEASE, OLDEST
from tests.fixtures.shared import shared_or_skip

pytestmark = pytest.mark.e2e  # the plugin spawned as Stash spawns it, against both simulators


@pytest.mark.parametrize("stash_version", [OLDEST, LATEST_RELEASE, "develop"])
def test_sync_all_converges_and_second_run_writes_nothing(make_env, stash_version):
    env = shared_or_skip(lambda: make_env(scenes=40, stash_kwargs={"version": stash_version}))
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
    assert env.plex.router.section_wide_edits == 0  # never an id-less PUT: PMS would apply it to every item
    edited = next(i for i in range(1, 41) if dataset.in_plex(str(i)))
    runs = env.stash.update_scene(edited, title=f"Edited on {stash_version}")
    assert [r.error for r in runs] == [None]
    env.wait_drained()
    env.assert_in_step(edited)
