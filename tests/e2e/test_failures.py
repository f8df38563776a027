"""Failure paths end to end: a killed drainer, scenes Plex lacks or cannot tell apart, bad input and bad settings,
Plex refusing the token or the connection. Each must end in a clear message and lose no queued work.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from package_plugin import install
from simulators import dataset
from sync_queue.vocab import ErrorClass
from tests.e2e.helpers import assert_token_nowhere
from tests.waiting import wait_for

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.e2e  # the plugin spawned as Stash spawns it, against both simulators


def pending(env) -> int:
    """Jobs not done yet: waiting or claimed."""
    with env.store() as store:
        return store.queue.pending_count() + store.queue.claimed_count()


def dead_letters(env) -> int:
    with env.store() as store:
        return store.dead_letters.count()


def gone(pid: int) -> bool:
    """The process no longer runs (absent, or a zombie nobody has reaped yet)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def in_plex_scenes(first: int, last: int) -> list[int]:
    return [s for s in range(first, last + 1) if dataset.in_plex(str(s)) and s % dataset.SHARED_NAME_EVERY]


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads process states from /proc")
def test_sigkilled_drainer_mid_batch_loses_nothing(make_env):
    env = make_env(scenes=40, plex_parallelism=2)
    edited = in_plex_scenes(1, 16)
    env.plex.faults.latency_ms = 400  # a batch takes seconds, so the kill lands inside one
    for scene_id in edited:
        runs = env.stash.update_scene(scene_id, title=f"Before the crash {scene_id}")
        assert runs[0].exit_code == 0 and "queued" in runs[0].output

    def drainer_mid_batch():
        with env.store() as store:
            holder, claimed = store.lease.holder(), store.queue.claimed_count()
        return holder.pid if holder and claimed else None

    pid = wait_for(drainer_mid_batch, what="a drainer holding claimed jobs")
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: gone(pid), what=f"drainer {pid} dead")
    with env.store() as store:
        stuck = store.queue.claimed_count()
    with env.db() as conn:  # the dead holder's row itself (the facade reports no live holder)
        assert conn.execute("SELECT pid FROM drainer_lease").fetchone() == (pid,)
    assert stuck > 0  # the kill really left a batch half-done

    env.plex.faults.latency_ms = 0
    # The next hook sees the holder is dead (the lease has ~60 s left) and starts a drainer that takes over.
    runs = env.stash.update_scene(edited[0], title="After the crash")
    assert runs[0].exit_code == 0
    env.wait_drained(timeout=90)
    for scene_id in edited:
        env.assert_in_step(scene_id)
    assert env.plex_item_for_scene(edited[0]).title == "After the crash"
    assert env.plex_item_for_scene(edited[-1]).title == f"Before the crash {edited[-1]}"
    assert pending(env) == 0 and dead_letters(env) == 0
    assert_token_nowhere(env)


def test_scene_not_in_plex_ends_not_found_after_spaced_retries(make_env):
    env = make_env(scenes=30)
    missing = 25
    assert not dataset.in_plex(str(missing))
    env.stash.update_scene(missing, title="Nowhere in Plex")
    env.wait_drained()
    attempts_seen = []
    for _ in range(10):
        with env.store() as store:
            state = store.scenes.get_many([missing])[missing]
        status, next_at = state.status, state.next_attempt_at
        attempts_seen.append(state.attempts)
        if next_at is None:
            break
        assert next_at - time.time() > 60  # spaced, not busy-looped
        with env.store() as store:  # as if the wait had passed
            assert store.queue.expedite_retries(ErrorClass.NOT_FOUND) == 1
        run = env.task("Process Queue")
        assert run.error is None, run.logs
    assert status == "not_found"
    assert attempts_seen == [1, 2, 3, 4, 0]
    assert dead_letters(env) == 0
    status_run = env.task("Queue Status")
    assert "not_found 1" in status_run.output
    assert "dead letters 0" in status_run.output
    assert env.plex.counts["edit"] == 0
    assert any("is not in Plex" in message for run in env.stash.runs for _, message in run.logs)


def test_ambiguous_twin_is_reported_not_guessed(make_env):
    # Scene 80's file is a byte-for-byte copy of scene 40's under the same name; a wrong path_map hides the
    # full paths, leaving only name + size, which both items share.
    env = make_env(scenes=80, path_map="/data/stash=/mnt/wrong")
    env.stash.update_scene(80, title="Which one am I?")
    env.wait_drained()
    with env.store() as store:
        state = store.scenes.get_many([80])[80]
    status, message = state.status, state.last_error or ""
    assert status == "ambiguous"
    assert "not guessed" in message and "share this file name" in message
    assert "not guessed" in env.drainer_log()
    assert env.plex.counts["edit"] == 0 and env.plex.counts["poster"] == 0
    status_run = env.task("Queue Status")
    assert "ambiguous 1" in status_run.output


@pytest.mark.parametrize("stdin", ["this is not json", "", '{"args": 5}', "[1, 2]"])
def test_malformed_stdin_is_a_clear_error(tmp_path, stdin):
    plugin = tmp_path / "Stash2Plex"
    install(plugin)
    data = tmp_path / "data"
    env = {**os.environ, "STASH2PLEX_DATA_DIR": str(data)}
    proc = subprocess.run([sys.executable, str(plugin / "Stash2Plex.py")], input=stdin, capture_output=True,
                          text=True, timeout=60, env=env)
    assert proc.returncode == 1
    answer = json.loads(proc.stdout)
    assert answer["output"] is None and answer["error"]
    assert "Traceback" not in proc.stderr
    assert "\x01e\x02" in proc.stderr and "could not start" in proc.stderr
    assert not (data / "stash2plex.sqlite3").exists()


def test_hook_for_an_unknown_scene_is_dead_lettered_with_a_clear_message(make_env):
    env = make_env(scenes=20)
    # Stash fires the hook, then the scene is deleted before the drainer reads it.
    runs = env.stash.host.run_hooks("Scene.Update.Post", 9999, {"id": "9999", "title": "x"}, ["id", "title"])
    assert runs[0].exit_code == 0 and runs[0].output == "scene 9999 queued for Plex"
    env.wait_drained()
    with env.store() as store:
        rows = [(letter.scene_id, letter.error_class, letter.message) for letter in store.dead_letters.newest()]
    assert rows == [(9999, "permanent", "Scene 9999 does not exist in Stash")]
    listing = env.task("Dead Letters - List")
    assert listing.error is None and listing.output == "1 dead letters"
    assert any("scene 9999" in m and "does not exist in Stash" in m for _, m in listing.logs)
    assert env.plex.counts["edit"] == 0


def test_wrong_token_keeps_jobs_queued_until_fixed(make_env):
    env = make_env(scenes=20, plex_token="not-the-plex-token")
    edited = in_plex_scenes(1, 4)
    run = env.task("Sync All Scenes to Plex")
    assert run.exit_code == 1 and "check the plex_token setting" in (run.error or ""), (run.error, run.output)
    assert "20 scenes stay queued" in run.error
    queued = pending(env)
    assert queued == 20
    runs = env.stash.update_scene(edited[0], title="Edited while the token was wrong")
    assert runs[0].exit_code == 0
    wait_for(lambda: "drainer stopped" in env.drainer_log(), what="the hook's drainer to give up")
    wait_for(lambda: _lease_free(env), what="the hook's drainer to release its lease")
    assert pending(env) == queued  # the new edit coalesced into the scene's pending job; nothing lost
    assert "check the plex_token setting" in env.drainer_log()
    # The detached drainer's failure reaches the user: once in the next hook's log line, and in Queue Status.
    shown = [r for _ in range(2) for r in env.stash.update_scene(edited[1], title="Another edit")]
    warnings = [m for r in shown for level, m in r.logs if "background sync stopped" in m]
    assert len(warnings) == 1 and "check the plex_token setting" in warnings[0], [r.logs for r in shown]
    status = env.task("Queue Status")
    assert "the background sync stopped" in status.output and "plex_token" in status.output

    env.configure()  # the right token
    fixed = env.task("Process Queue")
    assert fixed.error is None, fixed.logs
    assert pending(env) == 0
    for scene_id in edited:
        env.assert_in_step(scene_id)
    for secret in ("not-the-plex-token", env.plex.token):
        texts = [r.stdout + (r.error or "") + "".join(m for _, m in r.logs) for r in env.stash.runs]
        assert not [t for t in texts if secret in t]
        assert secret not in env.drainer_log()
        for path in env.data_dir.glob("stash2plex.sqlite3*"):
            assert secret.encode() not in path.read_bytes()


def _lease_free(env) -> bool:
    with env.store() as store:
        return not store.lease.is_held()


def test_an_outage_ends_by_itself(make_env):
    """Plex refuses connections, then answers 503, then recovers. The hooks' drainer waits it out, probing once
    per backoff interval, dead-letters nothing, and with no task run and no edit afterwards everything is synced."""
    env = make_env(scenes=20, reconcile_interval=0)
    edited = in_plex_scenes(1, 5)
    env.plex.faults.refuse_connections()
    for scene_id in edited:
        runs = env.stash.update_scene(scene_id, title=f"Edited while Plex is down {scene_id}")
        assert runs[0].exit_code == 0 and runs[0].error is None and "queued" in runs[0].output
    wait_for(lambda: "Plex is not reachable" in env.drainer_log(), what="the drainer meeting the outage")
    time.sleep(4)
    env.plex.reset_counts()
    env.plex.faults.accept_connections()
    env.plex.faults.set_error_window(seconds=6, status=503)
    time.sleep(6)
    during = env.plex.counts["total"]
    assert 1 <= during <= 3, f"{during} requests in 6 s of 503s: more than one per backoff interval"
    assert not _lease_free(env), "the drainer gave up instead of waiting"
    wait_for(lambda: all(env.plex_item_for_scene(i).title == f"Edited while Plex is down {i}" for i in edited),
         timeout=90, what="the edits reaching Plex after it recovered, with no task and no edit")
    assert dead_letters(env) == 0
    assert_token_nowhere(env)


def test_missing_plex_url_names_the_setting(make_env):
    env = make_env(scenes=10, plex_url="")
    run = env.task("Sync All Scenes to Plex")
    assert run.exit_code == 1 and run.error is not None and "plex_url" in run.error
    assert any(level == "error" and "plex_url" in message for level, message in run.logs)
    assert pending(env) == 10


def test_plex_going_down_mid_task_hands_over_to_a_background_sync(make_env):
    env = make_env(scenes=40, plex_parallelism=2)
    env.plex.faults.latency_ms = 300  # the pushes take seconds, so Plex can vanish in the middle of them
    job = env.stash.run_task("Stash2Plex", "Sync All Scenes to Plex", wait=False)
    wait_for(lambda: env.plex.counts["edit"] >= 3, what="the first pushes")
    env.plex.faults.refuse_connections()
    env.stash.jobs.wait(job, 120)
    run = next(r for r in env.stash.runs if r.kind == "task" and r.job_id == job)
    assert run.exit_code == 1 and "Plex is not reachable" in (run.error or ""), (run.error, run.output)
    assert "a background sync finishes them by itself once Plex answers" in run.error
    assert any("waiting up to 3 s" in m for _, m in run.logs)
    assert dead_letters(env) == 0

    env.plex.faults.accept_connections()
    env.plex.faults.latency_ms = 0
    wait_for(lambda: all(env.plex_item_for_scene(i) is None or env.plex_item_for_scene(i).title ==
                     env.scene(i)["title"] or not env.scene(i)["title"] for i in range(1, 41)),
         timeout=120, what="the background sync finishing the task's scenes")
    env.wait_drained(timeout=120)
    for scene_id in range(1, 41):
        if dataset.in_plex(str(scene_id)):
            env.assert_in_step(scene_id)
    assert_token_nowhere(env)


def test_a_full_disk_is_a_clear_error_and_half_writes_nothing(tmp_path):
    """A hook on a data folder whose disk is full: exit 1 with a sentence naming the disk, the database intact;
    with space again the same hook queues."""
    disk = tmp_path / "tiny"
    disk.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=400k", "tmpfs", str(disk)],
                      capture_output=True).returncode != 0:
        pytest.skip("needs to mount a small tmpfs (root on Linux) to fill a disk for real")
    try:
        data = _data_with_a_drainer_elsewhere(disk / "data")
        first = _hook_process(data, 1)
        assert first.returncode == 0, first.stderr
        filler = disk / "filler"
        fd = os.open(filler, os.O_CREAT | os.O_WRONLY)
        try:
            while os.write(fd, b"\0" * 4096):
                pass
        except OSError:
            pass  # the disk is full
        finally:
            os.close(fd)
        full = _hook_process(data, 2)
        out = json.loads(full.stdout)
        assert full.returncode == 1 and "the disk is full or failing" in out["error"], (out, full.stderr)
        assert "Scene.Update.Post 2 was not queued" in out["error"]
        filler.unlink()
        again = _hook_process(data, 2)
        assert again.returncode == 0 and json.loads(again.stdout)["output"] == "scene 2 queued for Plex"
        conn = sqlite3.connect(data / "stash2plex.sqlite3")
        try:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert conn.execute("SELECT COUNT(*) FROM ack_queue_default").fetchone()[0] == 2
        finally:
            conn.close()
    finally:
        subprocess.run(["umount", str(disk)], capture_output=True)


def _data_with_a_drainer_elsewhere(data: Path) -> Path:
    """A data folder whose lease a live drainer on another host holds, so hooks run here spawn none."""
    from sync_queue import Store

    with Store(data / "stash2plex.sqlite3") as store:
        assert store.lease.acquire("elsewhere:1:1", 9e9)
    return data


def _hook_process(data, scene_id: int) -> subprocess.CompletedProcess:
    """A hook run as Stash runs it."""
    stdin = json.dumps({"server_connection": {"Scheme": "http", "Host": "127.0.0.1", "Port": 9},
                        "args": {"hookContext": {"id": scene_id, "type": "Scene.Update.Post",
                                                 "inputFields": ["title"]}}})
    return subprocess.run([sys.executable, str(REPO / "Stash2Plex.py")], input=stdin, capture_output=True,
                          text=True, timeout=60, env={**os.environ, "STASH2PLEX_DATA_DIR": str(data)})


def test_a_hook_with_megabytes_of_input_queues_normally(tmp_path):
    """Identify sends the cover image inside the hook's input: several megabytes of stdin."""
    data = _data_with_a_drainer_elsewhere(tmp_path / "data")
    cover = "data:image/jpeg;base64," + "A" * 6_000_000
    stdin = json.dumps({"server_connection": {"Scheme": "http", "Host": "127.0.0.1", "Port": 9},
                        "args": {"hookContext": {"id": 3, "type": "Scene.Update.Post",
                                                 "input": {"id": "3", "cover_image": cover},
                                                 "inputFields": ["id", "cover_image"]}}})
    result = subprocess.run([sys.executable, str(REPO / "Stash2Plex.py")], input=stdin, capture_output=True,
                            text=True, timeout=60, env={**os.environ, "STASH2PLEX_DATA_DIR": str(data)})
    assert result.returncode == 0 and json.loads(result.stdout) == {"output": "scene 3 queued for Plex",
                                                                    "error": None}
