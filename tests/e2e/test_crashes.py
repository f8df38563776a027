"""Crash safety (issue 11): the plugin SIGKILLed at random moments of a sync, again and again, loses nothing,
repeats little (at most one more edit and poster per item per kill), and leaves every database file intact."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import sqlite3
import time

import pytest

from bench.rss import plugin_pids
from simulators import dataset

pytestmark = pytest.mark.e2e  # the plugin spawned as Stash spawns it, killed as an OOM killer or a reboot would

_ALL = """query { findScenes(filter: {per_page: -1, sort: "id", direction: ASC}) {
  scenes { id title files { path } tags { name } } } }"""


@pytest.mark.parametrize("scenes, kills", [
    (600, 8),
    pytest.param(2000, 20, marks=pytest.mark.long),  # the full figure: in CI's long run
])
def test_sigkills_during_a_sync_lose_nothing(make_env, scenes, kills):
    # Each Plex request takes 60 ms, so the sync lasts long enough for every kill to land in it (at 2 ms, 600
    # scenes sync in about a second).
    env = make_env(scenes=scenes, reconcile_interval=0, plex_kwargs={"latency_ms": 60})
    marker = str(env.stash.host.plugins["Stash2Plex"].dir)
    rng = random.Random(7)
    env.stash.run_task("Stash2Plex", "Sync All Scenes to Plex", wait=False)
    killed = 0
    deadline = time.monotonic() + 400
    while killed < kills and time.monotonic() < deadline:
        time.sleep(rng.uniform(0.3, 1.5))
        victims = plugin_pids(marker)
        for pid in victims:
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid), signal.SIGKILL)
        if victims:
            killed += 1
        env.stash.run_task("Stash2Plex", "Process Queue", wait=False)  # as the next edit or task would
    assert killed == kills, f"only {killed} kills landed: the sync ended too soon to show anything"
    for _ in range(3):  # whatever the last kill interrupted
        run = env.task("Process Queue", timeout=300)
        assert run.error is None, run.logs[-5:]
    env.wait_drained(timeout=300)

    keys = []
    for scene in env.stash.graphql(_ALL)["findScenes"]["scenes"]:
        item = env.plex.item_for_stash_path(scene["files"][0]["path"])
        if dataset.in_plex(scene["id"]):
            assert item is not None and sorted(item.genres) == sorted(t["name"] for t in scene["tags"]), scene["id"]
            assert not scene["title"] or item.title == scene["title"], scene["id"]
            keys.append(item.rating_key)
    assert len(keys) == sum(dataset.in_plex(str(i)) for i in range(1, scenes + 1))
    for scene_id in range(1, scenes + 1, 97):  # every field, on a spread sample
        if dataset.in_plex(str(scene_id)):
            env.assert_in_step(scene_id)
    edits = [env.plex.edit_count(k) for k in keys]
    posters = [env.plex.item(k).poster_uploads for k in keys]
    assert max(edits) <= 1 + kills and max(posters) <= 1 + kills
    repeated = sum(edits) - len(keys)
    assert repeated <= kills * 100, f"{repeated} repeated edits for {kills} kills (batches of 100)"
    with env.db() as conn:
        assert conn.execute("SELECT COUNT(*) FROM dead_letters").fetchone()[0] == 0
        assert conn.execute("SELECT COUNT(*) FROM ack_queue_default WHERE status < 5").fetchone()[0] == 0
    for path in env.data_dir.glob("stash2plex.sqlite3"):
        conn = sqlite3.connect(path)
        try:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        finally:
            conn.close()
