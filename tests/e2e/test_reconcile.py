"""Reconciliation and its neighbours end to end (issue 4): drift made in Plex, a file Plex scans later, the
inferred path mapping, performer/tag/studio renames, and the Dry Run that must write nothing.
"""

from __future__ import annotations

import re

import pytest

from simulators import dataset
from tests.e2e.helpers import SYNC_ALL, all_scenes, assert_item_shows, assert_token_nowhere, jobs_ever_queued
from tests.waiting import wait_for

pytestmark = pytest.mark.e2e  # the plugin spawned as Stash spawns it, against both simulators

RECONCILE_ALL = "Reconcile Library (All)"
RECONCILE_RECENT = "Reconcile Library (Recent)"
_TAG_UPDATE = "mutation($i: TagUpdateInput!) { tagUpdate(input: $i) { id name } }"


def _synced_env(make_env, scenes: int = 30, **settings):
    env = make_env(scenes=scenes, **settings)
    run = env.task(SYNC_ALL)
    assert run.error is None, run.logs[-5:]
    return env, run


def _titled_scene_in_plex(env) -> int:
    return next(int(s["id"]) for s in all_scenes(env) if s["title"] and dataset.in_plex(s["id"]))


def _gap(run, name: str) -> int:
    found = re.search(rf"(\d+) {name}", str(run.output))
    assert found, f"no '{name}' count in {run.output!r}"
    return int(found.group(1))


def test_drift_made_in_plex_is_found_and_restored(make_env):
    env, _ = _synced_env(make_env)
    scene_id = _titled_scene_in_plex(env)
    rating_key = env.plex_item_for_scene(scene_id).rating_key
    env.plex.user_edit(rating_key, title="Renamed in Plex", summary="Rewritten in Plex")
    env.plex.reset_counts()

    run = env.task(RECONCILE_ALL)
    assert run.error is None
    assert _gap(run, "drifted") == 1
    env.assert_in_step(scene_id)
    assert env.plex.counts.get("edit", 0) == env.plex.edit_count(rating_key) == 1, "only the drifted item is written"
    assert_token_nowhere(env)


def test_plex_edit_is_kept_when_preserving_plex_edits(make_env):
    env, _ = _synced_env(make_env, preserve_plex_edits=True)
    scene_id = _titled_scene_in_plex(env)
    rating_key = env.plex_item_for_scene(scene_id).rating_key
    env.plex.user_edit(rating_key, title="My Plex title")
    env.plex.reset_counts()

    run = env.task(RECONCILE_ALL)
    assert run.error is None
    assert _gap(run, "drifted") == 0
    assert env.plex.item(rating_key).title == "My Plex title"
    assert env.plex.counts.get("edit", 0) == 0

    # A later Stash edit of another field still reaches Plex, and still leaves the user's title alone.
    runs = env.stash.update_scene(scene_id, details="New details from Stash")
    assert runs and all(r.error is None for r in runs)
    wait_for(lambda: env.plex.item(rating_key).summary == "New details from Stash", what="the details edit in Plex")
    env.wait_drained()
    assert env.plex.item(rating_key).title == "My Plex title"
    assert_token_nowhere(env)


def test_scene_plex_scans_later_is_synced_by_the_next_reconcile(make_env):
    env, first = _synced_env(make_env)
    missing = 25
    assert env.plex_item_for_scene(missing) is None
    assert "1 not in Plex" in str(first.output)
    with env.db() as conn:
        retry_at = conn.execute("SELECT next_attempt_at FROM scene_state WHERE scene_id = ?", (missing,)).fetchone()[0]
    assert retry_at is not None, "the scene should be waiting for its spaced retry, minutes away"

    env.plex.add_scene(missing)
    assert env.plex.refresh(1), "the simulated scan found nothing"
    run = env.task(RECONCILE_RECENT)  # the default scope of auto-reconcile
    assert run.error is None
    env.wait_drained()
    env.assert_in_step(missing)
    assert_token_nowhere(env)


def test_prefix_only_path_difference_is_inferred_and_logged(make_env):
    env, run = _synced_env(make_env, scenes=20)  # no path_map: Stash /data/stash, Plex /media/plex
    lines = [msg for _, msg in run.logs if msg.startswith("Inferred path mapping")]
    assert len(lines) == 1, run.logs
    assert f"{dataset.STASH_ROOT}={dataset.PLEX_ROOT}" in lines[0]
    assert "sampled" in lines[0] and "e.g." in lines[0], "the mapping must be logged with its evidence"
    for scene in all_scenes(env):
        if dataset.in_plex(scene["id"]):
            assert_item_shows(scene, env.plex.item_for_stash_path(scene["files"][0]["path"]))


def test_tag_rename_reaches_every_affected_plex_item(make_env):
    env, _ = _synced_env(make_env, scenes=40)
    tag_id, old_name, new_name = "1", "Outdoor", "Open Air"
    assert env.stash.store.tag(tag_id)["name"] == old_name
    affected = [s for s in all_scenes(env) if old_name in {t["name"] for t in s["tags"]} and dataset.in_plex(s["id"])]
    assert affected, "the dataset has no synced scene with this tag"
    env.plex.reset_counts()

    before = len(env.stash.runs)
    env.stash.graphql(_TAG_UPDATE, {"i": {"id": tag_id, "name": new_name}})
    hooks = [r for r in env.stash.runs[before:] if r.kind == "hook"]
    assert [r.name for r in hooks] == ["Tag.Update.Post"] and hooks[0].error is None

    def renamed() -> bool:
        return all(new_name in env.plex_item_for_scene(int(s["id"])).genres for s in affected)

    wait_for(renamed, what="the new genre name on every affected item")
    env.wait_drained()
    for scene in all_scenes(env):
        item = env.plex.item_for_stash_path(scene["files"][0]["path"])
        if item is not None:
            assert old_name not in item.genres
    for scene in affected:
        env.assert_in_step(int(scene["id"]))
    assert env.plex.counts.get("edit", 0) == len(affected), "only the scenes carrying the tag are written"
    assert_token_nowhere(env)


def test_dry_run_reports_changes_and_writes_nothing(make_env):
    n = 30
    env = make_env(scenes=n)
    in_plex = sum(1 for i in range(1, n + 1) if dataset.in_plex(str(i)))
    fresh = env.task("Dry Run")
    assert fresh.error is None
    assert f"{in_plex} would change" in str(fresh.output)
    assert env.plex.counts.get("edit", 0) == 0 and env.plex.counts.get("poster", 0) == 0
    assert jobs_ever_queued(env) == 0

    assert env.task(SYNC_ALL).error is None
    scene_id = _titled_scene_in_plex(env)
    env.stash.store.update_scene(scene_id, {"title": "Changed without a hook"})  # e.g. while the plugin was off
    env.plex.reset_counts()
    jobs = jobs_ever_queued(env)
    run = env.task("Dry Run")
    assert run.error is None
    assert "1 would change" in str(run.output) and "title 1" in str(run.output), run.output
    assert env.plex.counts.get("edit", 0) == 0 and env.plex.counts.get("poster", 0) == 0
    assert env.plex_item_for_scene(scene_id).title != "Changed without a hook"
    assert jobs_ever_queued(env) == jobs
    assert_token_nowhere(env)
