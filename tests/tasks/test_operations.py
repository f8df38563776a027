"""The UI's operations (runPluginOperation) on a real database: states, links, Sync now, the status page."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from plugin.errors import PluginError
from plugin.io import read_input
from sync_queue import Store, meta
from sync_queue.scenes import SceneState
from tasks.operations import run_operation
from tests.fixtures import ui_states
from tests.light_process import heavy
from worker.context import remember_plex_web

REPO = Path(__file__).resolve().parents[2]
SYNCED_AT = 1_000_000.0


def op_input(plugin_dir: Path, **args) -> object:
    return read_input(json.dumps({"server_connection": {"Scheme": "http", "Host": "127.0.0.1", "Port": 9,
                                                        "PluginDir": str(plugin_dir)}, "args": args}))


@pytest.fixture
def plugin_dir(tmp_path, monkeypatch):
    monkeypatch.delenv("STASH2PLEX_DATA_DIR", raising=False)
    with Store(tmp_path / "data" / "stash2plex.sqlite3") as store:
        ui_states.seed(store, SYNCED_AT)
        store.lease.acquire("test-owner", ttl=600)  # a drainer "runs": no operation spawns a real one here
    return tmp_path


def _store(plugin_dir: Path) -> Store:
    return Store(plugin_dir / "data" / "stash2plex.sqlite3")


def test_status_names_each_state_with_its_reason(plugin_dir) -> None:
    ids = [str(i) for i in ui_states.SCENES]
    answer = run_operation(op_input(plugin_dir, operation="status", scene_ids=ids))
    assert {int(i): view["state"] for i, view in answer["scenes"].items()} == {
        i: state for i, (state, _) in ui_states.SCENES.items()}
    for scene_id, message in ui_states.MESSAGES.items():
        assert message in answer["scenes"][str(scene_id)]["reason"]
    assert answer["scenes"]["101"]["synced_at"] == SYNCED_AT
    assert answer["scenes"]["108"]["synced_at"] is None


def test_links_name_the_server_and_each_item_and_only_items_still_in_plex(plugin_dir) -> None:
    answer = run_operation(op_input(plugin_dir, operation="status", scene_ids=[101, 104, 105, 106]))["scenes"]
    assert [link["rating_key"] for link in answer["101"]["links"]] == [7001, 7002]
    assert answer["101"]["links"][0] == {
        "rating_key": 7001,
        "plex_web": f"https://app.plex.tv/desktop/#!/server/{ui_states.MACHINE_ID}/details?key=%2Flibrary%2Fmetadata"
                    "%2F7001",
        "server_web": f"{ui_states.PLEX_ADDRESS}/web/index.html#!/server/{ui_states.MACHINE_ID}/details?key="
                      "%2Flibrary%2Fmetadata%2F7001"}
    assert answer["104"]["links"] == answer["105"]["links"] == []
    assert [link["rating_key"] for link in answer["106"]["links"]] == [7006]
    with _store(plugin_dir) as store:
        store.index.replace_section(1, [])  # Plex dropped the items (a rescan): no link to a missing item
    answer = run_operation(op_input(plugin_dir, operation="status", scene_ids=[101]))["scenes"]
    assert answer["101"]["links"] == []


def test_no_links_before_a_drain_stored_the_server(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("STASH2PLEX_DATA_DIR", raising=False)
    with Store(tmp_path / "data" / "stash2plex.sqlite3") as store:
        ui_states.seed(store, SYNCED_AT, machine_id=None)
    answer = run_operation(op_input(tmp_path, operation="status", scene_ids=[101]))
    assert answer["scenes"]["101"]["state"] == "in_plex" and answer["scenes"]["101"]["links"] == []


def test_the_stored_plex_address_carries_no_credential(tmp_path) -> None:
    with Store(tmp_path / "db.sqlite3") as store:
        remember_plex_web(store, "m1", "http://me:pw@[::1]:32400/plex/?X-Plex-Token=SECRET#frag")
        assert store.meta.get(meta.PLEX_WEB_URL) == "http://[::1]:32400/plex"
        assert store.meta.get(meta.PLEX_MACHINE_ID) == "m1"


def test_a_retry_reads_as_queued_and_a_not_found_retry_as_not_in_plex() -> None:
    from tasks.operations import _state

    def retrying(error_class: str) -> SceneState:
        columns = SceneState.__slots__
        values = dict.fromkeys(columns)
        values.update(scene_id=1, status="retrying", error_class=error_class, last_error="timeout",
                      next_attempt_at=1000.0 + 600, plex_keys=[])
        return SceneState(*(values[c] for c in columns))

    assert _state(retrying("transient"), False, 1000.0) == ("queued", "tried again in 10 min after: timeout")
    assert _state(retrying("not_found"), False, 1000.0)[0] == "not_in_plex"


def test_sync_now_queues_a_full_push_through_the_dedup_rule(plugin_dir) -> None:
    answer = run_operation(op_input(plugin_dir, operation="sync_now", scene_id="101"))
    assert answer["scenes"]["101"]["state"] == "queued"
    run_operation(op_input(plugin_dir, operation="sync_now", scene_id="101"))  # coalesces into the pending job
    with _store(plugin_dir) as store:
        assert store.queue.pending_count() == 2  # 103's and 101's
        jobs = store.queue.claim(5)
    assert [(j.scene_id, j.reason, j.full_push) for j in jobs] == [(103, "edited", False), (101, "sync_now", True)]


def test_sync_now_refuses_while_the_plugin_is_disabled(plugin_dir) -> None:
    with _store(plugin_dir) as store:
        store.meta.cache_settings(False, 0, "recent")
    with pytest.raises(PluginError, match="disabled"):
        run_operation(op_input(plugin_dir, operation="sync_now", scene_id=101))


def test_overview_has_queue_status_numbers_and_the_last_passes(plugin_dir) -> None:
    with _store(plugin_dir) as store:
        store.meta.stamp(meta.LAST_BULK_SYNC, "Sync All: 1 synced", 5.0)
        store.meta.stamp(meta.LAST_RECONCILE, "Reconcile (all): 8 scenes", 6.0)
        store.meta.record_failure("Plex refused the token", 7.0)
    answer = run_operation(op_input(plugin_dir, operation="overview"))
    assert (answer["queued"], answer["in_progress"]) == (1, 1)
    assert answer["scenes"] == {"queued": 2, "synced": 1, "not_found": 1, "ambiguous": 1, "out_of_scope": 1,
                                "dead": 1}
    assert answer["drainer"]["running"] is True
    assert answer["last_error"] == {"at": 7.0, "message": "Plex refused the token"}
    assert answer["passes"] == {"sync": {"at": 5.0, "summary": "Sync All: 1 synced"},
                                "reconcile": {"at": 6.0, "summary": "Reconcile (all): 8 scenes"}, "watch": None}
    letters = answer["dead_letters"]
    assert letters["total"] == 1 and letters["newest"][0]["scene_id"] == 107
    assert letters["newest"][0]["message"] == ui_states.MESSAGES[107]


def test_lists_are_paged(plugin_dir) -> None:
    with _store(plugin_dir) as store:
        from sync_queue.dedup import EnqueueRequest
        from sync_queue.queue import SyncOutcome

        store.lease.release("test-owner")
        store.queue.enqueue([EnqueueRequest(s, "edited") for s in (201, 202, 203)])
        jobs = [j for j in store.queue.claim(10) if j.scene_id > 200]
        for job in jobs[:2]:
            store.queue.complete(job, SyncOutcome("not_found", updated_at=ui_states.UPDATED_AT, message="absent"))
        store.queue.retry_later(jobs[2], "not_found", "absent", 300.0)  # looked for again later: still not in Plex
    first = run_operation(op_input(plugin_dir, operation="list", list="not_in_plex", page=1, per_page=3))
    second = run_operation(op_input(plugin_dir, operation="list", list="not_in_plex", page="2", per_page=3))
    assert first["total"] == second["total"] == 4
    assert [s["scene_id"] for s in first["scenes"]] == [104, 201, 202]
    assert [s["scene_id"] for s in second["scenes"]] == [203]
    assert second["scenes"][0]["state"] == "not_in_plex"
    assert second["scenes"][0]["reason"] == "absent; looked for again in 5 min"
    ambiguous = run_operation(op_input(plugin_dir, operation="list", list="ambiguous"))
    assert [s["scene_id"] for s in ambiguous["scenes"]] == [105]


def test_retry_one_dead_letter(plugin_dir) -> None:
    with _store(plugin_dir) as store:
        letter = store.dead_letters.newest()[0].id
    assert run_operation(op_input(plugin_dir, operation="retry_dead_letters", letter_ids=[letter + 1]))["retried"] == 0
    assert run_operation(op_input(plugin_dir, operation="retry_dead_letters", letter_ids=[letter]))["retried"] == 1
    with _store(plugin_dir) as store:
        assert store.dead_letters.count() == 0
        assert store.scenes.get_many([107])[107].status == "queued"


@pytest.mark.parametrize("args, message", [
    ({"operation": "nope"}, "Unknown operation 'nope'"),
    ({"operation": "status", "scene_ids": "101"}, "must be a list"),
    ({"operation": "status", "scene_ids": ["x"]}, "'x', which is not an id"),
    ({"operation": "sync_now"}, "None, which is not an id"),
    ({"operation": "list", "list": "all"}, "Unknown list 'all'"),
    ({"operation": "list", "list": "ambiguous", "page": 0}, "page must be"),
])
def test_bad_arguments_are_clear_errors(plugin_dir, args, message) -> None:
    with pytest.raises(PluginError, match=message):
        run_operation(op_input(plugin_dir, **args))


@pytest.mark.e2e  # a fresh interpreter, as Stash starts the operation
def test_the_operation_process_stays_as_light_as_a_hook(plugin_dir) -> None:
    """As Stash runs it (Stash2Plex.py, stdin): the answer on stdout, and nothing heavy loaded (no HTTP library)."""
    code = ("import json, sys\n"
            f"sys.path.insert(0, {str(REPO)!r})\n"
            "import Stash2Plex\n"
            "Stash2Plex.main()\n"
            "sys.stderr.write('LOADED ' + json.dumps(sorted(sys.modules)) + '\\n')\n")
    stdin = json.dumps({"server_connection": {"Scheme": "http", "Host": "0.0.0.0", "Port": 9,
                                              "PluginDir": str(plugin_dir)},
                        "args": {"operation": "status", "scene_ids": ["101", "104"]}})
    started = time.time()
    done = subprocess.run([sys.executable, "-c", code], input=stdin, capture_output=True, text=True, timeout=60)
    answer = json.loads(done.stdout)
    assert answer["error"] is None, done.stderr
    assert answer["output"]["scenes"]["101"]["state"] == "in_plex"
    assert answer["output"]["now"] >= started
    loaded = done.stderr.strip().splitlines()[-1]
    assert loaded.startswith("LOADED ") and heavy(json.loads(loaded[len("LOADED "):])) == []


@pytest.mark.parametrize("text", ["0123abcdef4567", "a b/c?&=é", "長い-._~", ""])
def test_a_link_quotes_the_server_id_as_urllib_would(text) -> None:
    from urllib.parse import quote

    from tasks.operations import _quoted

    assert _quoted(text) == quote(text, safe="")
