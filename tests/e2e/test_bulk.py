"""Bulk behaviour end to end (issue 4): a 5,000-scene Sync All, the auto-reconcile storm that multiplied
work in the reference plugin, edits saved while a Sync All drains, and a Sync All left with only scenes it
cannot place. The plugin is spawned by the Stash simulator exactly as Stash spawns it.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from simulators import dataset
from sync_queue.drain_requests import RECONCILE
from tests.e2e.helpers import (
    SYNC_ALL,
    all_scenes,
    assert_item_shows,
    assert_progress_sane,
    assert_token_nowhere,
    job_reasons,
    jobs_ever_queued,
    retried_jobs,
    summary_counts,
)
from tests.waiting import wait_for

pytestmark = pytest.mark.e2e  # the plugin spawned as Stash spawns it, against both simulators

# Updates of a performer, tag or studio that rename nothing: Stash fires their hooks, Plex shows no difference.
_NO_CHANGE = [("Performer", "favorite", True), ("Tag", "description", "no rename"), ("Studio", "details", "same")]


def test_sync_all_5000_scenes_converges_then_writes_nothing(make_env):
    env = make_env(scenes=5000)  # default settings: batch_size 200 measured no faster
    run = env.task(SYNC_ALL, timeout=600)
    assert run.error is None, run.logs[-5:]
    assert_progress_sane(run)
    in_plex = [str(i) for i in range(1, 5001) if dataset.in_plex(str(i))]
    counts = summary_counts(run)
    assert counts == {"synced": len(in_plex), "unchanged": 0, "not_in_plex": 5000 - len(in_plex), "ambiguous": 0,
                      "failed": 0}

    scenes = all_scenes(env)
    assert len(scenes) == 5000
    for scene in scenes:
        item = env.plex.item_for_stash_path(scene["files"][0]["path"])
        if dataset.in_plex(scene["id"]):
            assert_item_shows(scene, item)
        else:
            assert item is None

    env.plex.reset_counts()
    second = env.task(SYNC_ALL, timeout=600)
    assert second.error is None
    assert env.plex.counts.get("edit", 0) == 0 and env.plex.counts.get("poster", 0) == 0
    assert summary_counts(second) == {**counts, "synced": 0, "unchanged": len(in_plex)}
    assert_token_nowhere(env)


def test_invocations_during_sync_all_never_multiply_work(make_env):
    """The reference plugin's seed bug: every invocation reconciled and re-queued what had just been synced."""
    n = 60
    env = make_env(scenes=n, plex_kwargs={"latency_ms": 15}, reconcile_interval=1)
    job_id = env.stash.run_task("Stash2Plex", SYNC_ALL, wait=False)
    wait_for(lambda: env.plex.counts.get("edit", 0) >= 5, timeout=180, what="Sync All pushing")
    first_claim = _meta(env, "last_auto_reconcile")
    assert first_claim is not None, "the Sync All invocation did not note a reconcile as due"

    real_edits = {3: "Storm edit three", 17: "Storm edit seventeen", 44: "Storm edit forty-four"}

    def invoke(k: int):
        if k < len(real_edits):
            scene_id, title = list(real_edits.items())[k]
            return env.stash.update_scene(scene_id, title=title)
        if k < 45:  # a hook for a change Plex does not show: no scene is touched, nothing may be queued
            kind, field, value = _NO_CHANGE[k % len(_NO_CHANGE)]
            return env.stash.graphql(f"mutation($i: {kind}UpdateInput!) {{ {kind.lower()}Update(input: $i) {{ id }} }}",
                                     {"i": {"id": str(1 + k % 8), field: value}})
        task = "Queue Status" if k % 2 else "Reconcile Library (Recent)"
        return env.stash.run_task("Stash2Plex", task, wait=False)

    with ThreadPoolExecutor(max_workers=4) as pool:
        invoked = list(pool.map(invoke, range(50)))
    assert all(r.error is None for runs in invoked if isinstance(runs, list) for r in runs)
    hook_runs = [r for r in env.stash.runs if r.kind == "hook"]
    assert len(hook_runs) == 45, "every update fires exactly one hook of the plugin"
    task_jobs = [j for j in invoked if isinstance(j, str)]
    env.stash.jobs.wait(job_id, 180)
    for task_job in task_jobs:
        env.stash.jobs.wait(task_job, 180)
    env.wait_drained(120)

    # A folder scan the plugin asked for (scan_new_files) changes the library: each scene Plex lacked is looked at
    # once more; nothing synced is queued again.
    reasons, not_in_plex = job_reasons(env), sum(1 for i in range(1, n + 1) if not dataset.in_plex(str(i)))
    assert reasons.get("library_rescanned", 0) <= not_in_plex, reasons
    assert jobs_ever_queued(env) - reasons.get("library_rescanned", 0) <= n + len(real_edits), reasons
    # One claim per interval: the Sync All's own; 50 later invocations within the minute claimed nothing.
    elapsed_intervals = int((time.time() - float(first_claim)) // 60)
    claims = _meta(env, "last_auto_reconcile")
    assert claims == first_claim or elapsed_intervals >= 1
    explicit = sum(1 for j in task_jobs if _run_for(env, j).name == "Reconcile Library (Recent)")
    reconcile_lines = sum(1 for run in env.stash.runs for _, msg in run.logs if msg.startswith("Reconcile ("))
    reconcile_lines += env.drainer_log().count("Reconcile (")
    assert reconcile_lines <= explicit * 2 + 1 + elapsed_intervals  # a task logs its report once and in its output
    for scene_id in real_edits:
        env.assert_in_step(scene_id)
    assert_token_nowhere(env)


def test_edits_saved_while_sync_all_drains_are_never_lost(make_env):
    n = 50
    env = make_env(scenes=n, plex_kwargs={"latency_ms": 60})  # the drain lasts seconds, an edit a fraction
    job_id = env.stash.run_task("Stash2Plex", SYNC_ALL, wait=False)
    wait_for(lambda: env.plex.counts.get("edit", 0) >= 3, timeout=180, what="Sync All pushing")
    # Early scenes (likely synced already), scenes in flight and late ones; some edited twice.
    edits = [(2, {"title": "First edit of 2"}), (48, {"details": "edited while queued"}),
             (2, {"title": "Last edit of 2", "rating100": 90}), (20, {"tag_ids": ["1", "2"]}),
             (31, {"title": "Edited 31"}), (48, {"details": "edited twice while queued"}),
             (9, {"performer_ids": []}), (31, {"title": "Edited 31 again", "date": "2001-02"})]
    during = 0
    for scene_id, fields in edits:
        during += env.stash.jobs.get(job_id).status == "RUNNING"
        runs = env.stash.update_scene(scene_id, **fields)
        assert runs and all(r.error is None for r in runs)
    assert during >= 1, "the Sync All ended before the first edit: this test tested nothing"
    run = _run_for(env, job_id, wait=180)
    assert run.error is None
    env.wait_drained(120)
    for scene_id in sorted({s for s, _ in edits}):
        env.assert_in_step(scene_id)
    assert env.scene(2)["title"] == "Last edit of 2" == env.plex_item_for_scene(2).title
    assert env.plex_item_for_scene(31).originally_available_at == "2001-02-01"
    assert_token_nowhere(env)


def test_sync_all_ends_by_itself_with_only_unplaceable_scenes_left(make_env):
    """A path map that misses the Plex folders leaves basename matching: the twins (same name and size in two
    folders) are ambiguous, scenes Plex lacks are not in Plex. Neither may hold Stash's job queue."""
    n = 80
    env = make_env(scenes=n, path_map="/data/stash=/mnt/elsewhere")
    missing = [i for i in range(1, n + 1) if not dataset.in_plex(str(i))]
    twins = [40, 80]
    run = env.task(SYNC_ALL, timeout=120)  # far below the 5-minute not-in-Plex retry: the job must not wait for it
    assert run.error is None
    assert_progress_sane(run)
    assert summary_counts(run) == {"synced": n - len(missing) - len(twins), "unchanged": 0,
                                   "not_in_plex": len(missing), "ambiguous": len(twins), "failed": 0}
    assert env.stash.jobs.active() == []
    with env.db() as conn:
        retries = conn.execute("SELECT COUNT(*) FROM scene_state WHERE next_attempt_at > ?", (time.time(),)).fetchone()
    assert retries[0] == len(missing), "not-in-Plex scenes must keep their spaced retries, not be dropped"

    again = env.task(SYNC_ALL, timeout=120)
    assert again.error is None
    assert summary_counts(again) == {"synced": 0, "unchanged": n - len(missing) - len(twins),
                                     "not_in_plex": len(missing), "ambiguous": len(twins), "failed": 0}
    assert env.stash.jobs.active() == []
    for scene_id in twins:
        for path in (f["path"] for f in env.scene(scene_id)["files"]):
            assert env.plex.edit_count(env.plex.item_for_stash_path(path).rating_key) == 0, "an ambiguous guess"
    assert_token_nowhere(env)


def _meta(env, key: str):
    with env.store() as store:
        return store.meta.get(key)


def _run_for(env, job_id: str, wait: float = 0):
    if wait:
        env.stash.jobs.wait(job_id, wait)
    return next(r for r in env.stash.runs if r.kind == "task" and r.job_id == job_id)


def test_reconcile_due_at_every_invocation_never_requeues_synced_scenes(make_env):
    """The seed bug head-on: a full reconcile runs after every hook, right behind the drain it feeds."""
    n = 30
    env = make_env(scenes=n, reconcile_interval=1, reconcile_scope="all")
    assert env.task(SYNC_ALL).error is None
    env.wait_drained()
    jobs_after_sync = jobs_ever_queued(env)
    real_edits = {4: "Due edit four", 11: "Due edit eleven"}
    rounds = 10
    for k in range(rounds):
        _set_meta(env, "last_auto_reconcile", "0")  # as if the interval had passed since the last one
        if k < len(real_edits):
            scene_id, title = list(real_edits.items())[k]
            runs = env.stash.update_scene(scene_id, title=title)
        else:
            kind, field, value = _NO_CHANGE[k % len(_NO_CHANGE)]
            before = len(env.stash.runs)
            env.stash.graphql(f"mutation($i: {kind}UpdateInput!) {{ {kind.lower()}Update(input: $i) {{ id }} }}",
                              {"i": {"id": str(1 + k % 8), field: value}})
            runs = env.stash.runs[before:]
        assert runs and all(r.error is None for r in runs)
        wait_for(lambda: _reconcile_taken(env), what="the drainer taking the reconcile request")
    env.wait_drained()

    reconciles = env.drainer_log().count("Reconcile (all)")
    assert reconciles == rounds, "every due claim runs exactly one reconcile (else this test tested nothing)"
    # A push that failed under load and was retried is not a re-queue of synced work: it is not counted; nor is
    # the one look of each scene Plex lacked after the folder scan the plugin asked for (scan_new_files).
    reasons, not_in_plex = job_reasons(env), sum(1 for i in range(1, n + 1) if not dataset.in_plex(str(i)))
    assert reasons.get("library_rescanned", 0) <= not_in_plex, reasons
    requeued = jobs_ever_queued(env) - retried_jobs(env) - reasons.get("library_rescanned", 0)
    assert requeued <= jobs_after_sync + len(real_edits), (reasons, env.drainer_log()[-3000:])
    for scene_id in real_edits:
        env.assert_in_step(scene_id)
    assert_token_nowhere(env)


def _reconcile_taken(env) -> bool:
    with env.store() as store:
        return store.requests.get(RECONCILE) is None


def _set_meta(env, key: str, value: str) -> None:
    with env.store() as store:
        store.meta.set(key, value)
