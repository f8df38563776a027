"""The hook pipeline end to end: an edit in Stash reaches Plex with no task run, through the detached drainer.

The plugin is spawned by the Stash simulator exactly as Stash spawns it; assertions are on states and counts only.
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from simulators import dataset
from sync_queue.ackqueue import TABLE as QUEUE
from tests.e2e.helpers import assert_token_nowhere

pytestmark = pytest.mark.e2e  # the plugin spawned as Stash spawns it, against both simulators

# Long enough that no request the detached drainer sends can be answered (and so counted) before the hooks that
# spawned it have returned: any request counted by then was made by a hook itself, which waits for its answer.
HOOK_PROOF_LATENCY_MS = 3000




def queue_rows(env) -> int:
    with env.db() as conn:
        return conn.execute(f"SELECT COUNT(*) FROM {QUEUE}").fetchone()[0]


def synced_candidates(env, count: int) -> list[int]:
    """Scenes held by Plex whose match is plain (no twin copy, one file), with a tag and a studio to change."""
    picked = []
    for scene_id in range(1, 40):
        if not dataset.in_plex(str(scene_id)) or scene_id % dataset.TWO_FILES_EVERY == 0:
            continue
        scene = env.scene(scene_id)
        if scene["tags"] and scene["studio"] and scene["title"]:
            picked.append(scene_id)
        if len(picked) == count:
            return picked
    raise AssertionError("the dataset has too few plain scenes")


def test_edits_reach_plex_without_a_task_and_hooks_never_call_plex(make_env):
    env = make_env(scenes=40)
    first = env.task("Sync All Scenes to Plex")
    assert first.error is None, first.logs
    title_id, tag_id, performer_id, studio_id, rating_id = synced_candidates(env, 5)

    library = dataset.generate(1, 40)
    removed_tag = env.scene(tag_id)["tags"][0]["name"]
    kept_tags = env.stash.store.scene(tag_id)["tag_ids"][1:]
    performers = env.stash.store.scene(performer_id)["performer_ids"]
    new_performer = next(p for p in library.performers if p not in performers)
    old_studio = env.stash.store.scene(studio_id)["studio_id"]
    new_studio = next(s for s in library.studios if s != old_studio)
    new_rating = 70 if env.scene(rating_id)["rating100"] != 70 else 30
    edits = [
        (title_id, {"title": "Renamed in Stash ✨"}),
        (tag_id, {"tag_ids": kept_tags}),
        (performer_id, {"performer_ids": performers + [new_performer]}),
        (studio_id, {"studio_id": new_studio}),
        (rating_id, {"rating100": new_rating}),
    ]

    env.plex.reset_counts()
    env.plex.faults.latency_ms = HOOK_PROOF_LATENCY_MS
    hook_runs = []
    for scene_id, changes in edits:
        hook_runs += env.stash.update_scene(scene_id, **changes)
    requests_when_hooks_returned = env.plex.counts["total"]
    env.plex.faults.latency_ms = 0

    assert requests_when_hooks_returned == 0
    assert len(hook_runs) == len(edits)
    for run, (scene_id, changes) in zip(hook_runs, edits, strict=True):
        assert run.kind == "hook" and run.exit_code == 0 and run.error is None, run.logs
        assert run.output == f"scene {scene_id} queued for Plex"
        assert sorted(run.input["args"]["hookContext"]["inputFields"]) == sorted(["id", *changes])
    env.wait_drained()

    for scene_id, _ in edits:
        env.assert_in_step(scene_id)
    assert env.plex_item_for_scene(title_id).title == "Renamed in Stash ✨"
    assert removed_tag not in env.plex_item_for_scene(tag_id).genres
    new_name = library.performers[new_performer]["name"]
    assert new_name in [actor[0] for actor in env.plex_item_for_scene(performer_id).actors]
    assert env.plex_item_for_scene(studio_id).studio == library.studios[new_studio]["name"]
    assert env.plex_item_for_scene(rating_id).user_rating == new_rating / 10
    assert env.plex.counts["edit"] == len(edits)
    assert "5 synced" in env.drainer_log()
    assert_token_nowhere(env)


def test_edit_of_a_field_plex_does_not_show_queues_nothing(make_env):
    env = make_env(scenes=20, reconcile_interval=0)  # the first invocation would otherwise request a reconcile
    runs = env.stash.update_scene(3, o_counter=4)
    assert [r.output for r in runs] == ["scene 3: no field Plex shows was changed"]
    assert runs[0].exit_code == 0 and runs[0].error is None
    assert queue_rows(env) == 0
    env.wait_drained()
    assert env.plex.counts["edit"] == 0 and env.plex.counts["poster"] == 0
    with env.db() as conn:
        assert conn.execute("SELECT COUNT(*) FROM scene_state").fetchone()[0] == 0


def test_repushing_an_unchanged_scene_writes_nothing(make_env):
    env = make_env(scenes=20)
    first = env.task("Sync All Scenes to Plex")
    assert first.error is None, first.logs
    scene_id = synced_candidates(env, 1)[0]
    title = env.scene(scene_id)["title"]
    env.plex.reset_counts()
    runs = env.stash.update_scene(scene_id, title=title)
    assert runs[0].output == f"scene {scene_id} queued for Plex"
    env.wait_drained()
    assert env.plex.counts["edit"] == 0 and env.plex.counts["poster"] == 0
    with env.db() as conn:
        status, = conn.execute("SELECT status FROM scene_state WHERE scene_id = ?", (scene_id,)).fetchone()
    assert status == "unchanged"
    assert "1 unchanged" in env.drainer_log()
    env.assert_in_step(scene_id)


def test_a_storm_of_hooks_and_tasks_converges_with_one_drainer_at_a_time(make_env):
    """200 concurrent hook processes, a Sync All and ten reconciles: no error reaches the user, one drainer at a
    time, no job claimed twice, every write committed, every edit's final state in Plex."""
    env = make_env(scenes=50)
    env.stash.update_scene(1, title="warm-up")  # creates the database, so the audit triggers can be installed
    env.wait_drained()
    _install_audit(env)
    tag_ids = list(dataset.generate(1, 50).tags)
    edits = []
    for round_no in range(4):
        for scene_id in range(1, 51):
            kind = (scene_id + round_no) % 3
            if kind == 0:
                edits.append((scene_id, {"title": f"Scene {scene_id} edit {round_no}"}))
            elif kind == 1:
                edits.append((scene_id, {"rating100": 10 * (round_no + 1) + scene_id % 7}))
            else:
                edits.append((scene_id, {"tag_ids": tag_ids[round_no:round_no + 1 + scene_id % 4]}))
    assert len(edits) == 200
    before = len(env.stash.runs)
    # The storm: a Sync All and ten reconciles queued in Stash's job queue while 200 hooks fire.
    jobs = [env.stash.run_task("Stash2Plex", "Sync All Scenes to Plex", wait=False)]
    jobs += [env.stash.run_task("Stash2Plex", "Reconcile Library (Recent)", wait=False) for _ in range(10)]
    with ThreadPoolExecutor(max_workers=200) as pool:
        list(pool.map(lambda e: env.stash.update_scene(e[0], **e[1]), edits))
    for job in jobs:
        env.stash.jobs.wait(job, 300)
    tasks = [r for r in env.stash.runs[before:] if r.kind == "task"]
    assert len(tasks) == 11 and all(r.error is None and r.exit_code == 0 for r in tasks), [r.error for r in tasks]
    runs = [r for r in env.stash.runs[before:] if r.kind == "hook"]
    assert Counter(run.input["args"]["hookContext"]["id"] for run in runs) == Counter({i: 4 for i in range(1, 51)})
    for run in runs:
        assert run.exit_code == 0 and run.error is None, (run.error, run.logs)
        assert "queued" in run.output, run.output
    env.wait_drained(timeout=180)

    for scene_id in range(1, 51):
        if dataset.in_plex(str(scene_id)):
            env.assert_in_step(scene_id)
    texts = [run.stdout for run in runs] + [m for run in runs for _, m in run.logs] + [env.drainer_log()]
    texts += [m for _, m in env.stash.log]
    assert not [t for t in texts if "database is locked" in t.lower()]
    with env.db() as conn:
        lease_events = conn.execute("SELECT event, old_owner, new_owner, old_expires, now FROM lease_audit "
                                    "ORDER BY seq").fetchall()
        double_claims = conn.execute("SELECT COUNT(*) FROM claim_audit WHERE old_status = 2").fetchone()[0]
        claims = conn.execute("SELECT COUNT(*) FROM claim_audit").fetchone()[0]
    assert claims >= 50 and double_claims == 0
    _assert_one_holder_at_a_time(lease_events)
    assert_token_nowhere(env, runs)


def _install_audit(env) -> None:
    """Triggers record every lease change and every claim, whichever process makes it (test instrumentation)."""
    with env.db() as conn:
        conn.executescript(f"""
            CREATE TABLE lease_audit (seq INTEGER PRIMARY KEY AUTOINCREMENT, event TEXT, old_owner TEXT,
                                      new_owner TEXT, old_expires REAL, now REAL);
            CREATE TRIGGER lease_in AFTER INSERT ON drainer_lease BEGIN
                INSERT INTO lease_audit(event, new_owner, now) VALUES ('insert', NEW.owner, NEW.heartbeat); END;
            CREATE TRIGGER lease_up AFTER UPDATE ON drainer_lease BEGIN
                INSERT INTO lease_audit(event, old_owner, new_owner, old_expires, now)
                VALUES ('update', OLD.owner, NEW.owner, OLD.expires_at, NEW.heartbeat); END;
            CREATE TRIGGER lease_del AFTER DELETE ON drainer_lease BEGIN
                INSERT INTO lease_audit(event, old_owner) VALUES ('delete', OLD.owner); END;
            CREATE TABLE claim_audit (job INTEGER, old_status INTEGER);
            CREATE TRIGGER claim AFTER UPDATE OF status ON {QUEUE} WHEN NEW.status = 2 BEGIN
                INSERT INTO claim_audit VALUES (NEW._id, OLD.status); END;
        """)


def _assert_one_holder_at_a_time(events: list) -> None:
    """Every new holder took the lease after the previous one released it (no takeover: nobody died here)."""
    holder = None
    owners = set()
    for event, old_owner, new_owner, old_expires, now in events:
        if event == "insert":
            assert holder is None, f"{new_owner} took the lease while {holder} held it"
            holder = new_owner
            owners.add(new_owner)
        elif event == "update":
            assert old_owner == holder
            assert new_owner == old_owner, f"{new_owner} took over from {old_owner} (expired {old_expires < now})"
        else:
            assert old_owner == holder
            holder = None
    assert owners and holder is None
