"""Edits in the forms real clients send (issue 20), through both simulators with the plugin spawned as Stash
spawns it. The Plex simulator ignores the bare `genre[].tag=` (API spec only), so only plexapi's removal form can
empty a list here."""

from __future__ import annotations

import pytest

from simulators import dataset
from sync_queue import meta
from sync_queue.drain_requests import RECONCILE
from tests.waiting import wait_for

pytestmark = pytest.mark.e2e

_SCENES = "{ findScenes(filter: {per_page: -1}) { scenes { id files { path } tags { id } performers { id } } } }"


def test_a_scenes_last_tag_and_last_performer_removed_in_stash_leave_plex_lists_empty(make_env):
    """One scene down to one tag and one performer, another with four performers (more than a listing shows), then
    every tag and performer removed from both: Plex's genres and actors are empty, the other scenes untouched."""
    env = make_env(scenes=30, reconcile_interval=0)
    scenes = [s for s in env.stash.graphql(_SCENES)["findScenes"]["scenes"] if dataset.in_plex(s["id"])]
    performers = sorted({p["id"] for s in scenes for p in s["performers"]}, key=int)
    tags = sorted({t["id"] for s in scenes for t in s["tags"]}, key=int)
    one, four, other = scenes[0]["id"], scenes[1]["id"], scenes[2]["id"]
    assert len(performers) >= 4 and tags
    assert env.task("Sync All Scenes to Plex").error is None
    env.stash.update_scene(one, tag_ids=tags[:1], performer_ids=performers[:1])
    env.stash.update_scene(four, tag_ids=tags[:3], performer_ids=performers[:4])
    env.wait_drained()
    for scene_id in (one, four):
        env.assert_in_step(int(scene_id))
    assert len(env.plex_item_for_scene(int(four)).actors) == 4

    env.stash.update_scene(one, tag_ids=[], performer_ids=[])
    env.stash.update_scene(four, tag_ids=[], performer_ids=[])
    env.wait_drained()
    for scene_id in (one, four):
        item = env.plex_item_for_scene(int(scene_id))
        assert (item.genres, item.actors) == ([], []), scene_id
        assert {"genre", "actor"} <= set(item.locked)
        env.assert_in_step(int(scene_id))
    env.assert_in_step(int(other))
    env.plex.reset_counts()
    assert env.task("Sync All Scenes to Plex").error is None
    assert env.plex.counts.get("edit", 0) == 0


def _meta(env, key: str):
    with env.store() as store:
        return store.meta.get(key)


def _reconcile_taken(env) -> bool:
    with env.store() as store:
        return store.requests.get(RECONCILE) is None


def test_a_performer_merge_on_develop_reaches_plex_with_no_task_run(make_env):
    """performerMerge fires no hook and moves no scene's updated_at; the next automatic reconcile (any invocation
    once it is due) sees a performer gone (one small Stash request) and runs in full: the merged scenes are exact
    in Plex. Nothing but a Save elsewhere runs the plugin."""
    env = make_env(scenes=40, reconcile_interval=1, stash_kwargs={"version": "develop"})
    assert env.task("Sync All Scenes to Plex").error is None
    env.wait_drained()
    assert _meta(env, "performer_tally"), "the reconcile kept no tally: the merge would go unseen"
    scenes = [s for s in env.stash.graphql(_SCENES)["findScenes"]["scenes"] if dataset.in_plex(s["id"])]
    by_performer: dict[str, list[int]] = {}
    for s in scenes:
        for p in s["performers"]:
            by_performer.setdefault(p["id"], []).append(int(s["id"]))
    source, destination = sorted(by_performer, key=lambda p: -len(by_performer[p]))[:2]
    merged = by_performer[source]
    runs_before = len(env.stash.runs)
    env.stash.merge_performers([source], destination)
    assert len(env.stash.runs) == runs_before  # no hook
    tally_requests = env.stash.request_counts.get("PerformerTally", 0)

    with env.store() as store:  # as if the interval had passed since the last automatic reconcile
        store.meta.set(meta.LAST_AUTO_RECONCILE, "0")
    env.stash.update_scene(scenes[-1]["id"], title="A Save elsewhere")
    wait_for(lambda: _reconcile_taken(env), what="the drainer taking the reconcile request")
    env.wait_drained()
    assert "Reconcile (all)" in env.drainer_log()
    assert env.stash.request_counts.get("PerformerTally", 0) == tally_requests + 1
    for scene_id in merged:
        env.assert_in_step(scene_id)
