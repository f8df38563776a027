"""Hook handling in-process: which firings queue what, and when a drainer is started."""

from __future__ import annotations

import pytest

from hooks.filters import entity_kind, scene_needs_sync
from hooks.handler import handle_hook, scene_request
from plugin.io import read_input
from sync_queue import Store
from sync_queue.drain_requests import RECONCILE
from worker.spawn import drainer_needed


def hook_input(hook_type: str, hook_id, fields) -> object:
    import json

    return read_input(json.dumps({"server_connection": {"Scheme": "http", "Host": "127.0.0.1", "Port": 9,
                                                        "PluginDir": ""},
                                  "args": {"hookContext": {"id": hook_id, "type": hook_type, "input": {},
                                                           "inputFields": fields}}}))


@pytest.mark.parametrize("hook_type, fields, queued", [
    ("Scene.Update.Post", ["id", "title"], True),
    ("Scene.Update.Post", ["id", "tag_ids", "rating100"], True),
    ("Scene.Update.Post", ["id", "cover_image"], True),
    ("Scene.Update.Post", ["id", "play_count", "resume_time"], False),
    ("Scene.Update.Post", ["id", "organized"], True),  # may bring the scene into scope (only_organized)
    ("Scene.Update.Post", ["id", "code", "urls"], False),
    ("Scene.Update.Post", ["id", "groups"], True),
    ("Scene.Update.Post", [], True),  # a scan: the files may have changed
    ("Scene.Create.Post", [], True),
])
def test_scene_firings(hook_type, fields, queued) -> None:
    assert scene_needs_sync(hook_input(hook_type, 1, fields).hook) is queued


@pytest.mark.parametrize("hook_type, fields, kind", [
    ("Tag.Update.Post", ["id", "name"], "tag"),
    ("Performer.Update.Post", ["id", "name", "gender"], "performer"),
    ("Performer.Update.Post", ["id", "image"], "performer"),  # the actor photo
    ("Performer.Update.Post", ["id", "gender"], None),
    ("Tag.Update.Post", ["id", "image"], None),
    ("Studio.Update.Post", [], "studio"),
    ("Tag.Update.Post", ["id", "description"], None),
    ("Movie.Update.Post", ["id", "name"], "group"),  # before v0.27 the only one; its Group.* twin since
    ("Group.Update.Post", ["id", "name"], "group"),
    ("Gallery.Update.Post", ["id", "title"], None),
])
def test_entity_firings(hook_type, fields, kind) -> None:
    assert entity_kind(hook_input(hook_type, 1, fields).hook) == kind


@pytest.mark.parametrize("hook_type, fields, reason, lookup", [
    ("Scene.Update.Post", ["title"], "edited", False),
    ("Scene.Update.Post", [], "scanned", True),
    ("Scene.Create.Post", ["title"], "created", True),
])
def test_scene_requests_state_their_decisions(hook_type, fields, reason, lookup) -> None:
    request = scene_request(hook_input(hook_type, 5, fields).hook)
    assert (request.scene_id, request.reason, request.force, request.file_lookup) == (5, reason, True, lookup)


@pytest.fixture
def data(tmp_path, monkeypatch):
    monkeypatch.setenv("STASH2PLEX_DATA_DIR", str(tmp_path))
    with Store(tmp_path / "stash2plex.sqlite3") as store:
        assert store.lease.acquire("elsewhere:1:1", 3600.0)  # a live drainer: no process is spawned
    return tmp_path


def _store(data) -> Store:
    return Store(data / "stash2plex.sqlite3")


def test_a_hook_queues_once_and_requests_the_first_reconcile(data) -> None:
    assert handle_hook(hook_input("Scene.Update.Post", 7, ["title"])) == "scene 7 queued for Plex"
    assert handle_hook(hook_input("Scene.Update.Post", 7, ["details"])) == "scene 7 already queued"
    assert handle_hook(hook_input("Scene.Update.Post", 7, ["o_counter"])) == "scene 7: no field Plex shows was changed"
    assert handle_hook(hook_input("Tag.Update.Post", 3, ["name"])) == "scenes of tag 3 will be queued for Plex"
    assert handle_hook(hook_input("Scene.Update.Post", None, [])) == "nothing to sync"
    with _store(data) as store:
        assert store.queue.pending_count() == 1 and [r.entity_id for r in store.entities.pending()] == [3]
        assert store.requests.get(RECONCILE).scope == "recent"


def test_a_disabled_plugin_queues_nothing(data) -> None:
    with _store(data) as store:
        store.meta.cache_settings(False, 3600, "recent")
    assert handle_hook(hook_input("Scene.Update.Post", 7, ["title"])) == "Stash2Plex is disabled in its settings"
    with _store(data) as store:
        assert store.queue.pending_count() == 0


def test_a_drainer_is_needed_only_for_waiting_work_without_a_live_holder(tmp_path) -> None:
    with Store(tmp_path / "db.sqlite3") as store:
        assert not drainer_needed(store, 100.0)
        store.entities.add("tag", 1)
        assert drainer_needed(store, 100.0)
        store.lease.acquire("elsewhere:1:1", 60.0, now=100.0)
        assert not drainer_needed(store, 120.0) and drainer_needed(store, 161.0)


def test_a_drainer_failure_is_shown_by_one_hook(data) -> None:
    with _store(data) as store:
        store.meta.record_failure("Plex rejected the token (HTTP 401); check the plex_token setting", 100.0)
        assert store.meta.failure() == (100.0, "Plex rejected the token (HTTP 401); check the plex_token setting")
    handle_hook(hook_input("Scene.Update.Post", 7, ["title"]))
    with _store(data) as store:
        assert store.meta.failure_to_show() is None  # the hook showed it; the next one stays quiet
        store.meta.record_failure(None, 200.0)
        assert store.meta.failure() is None


def test_a_group_edit_counts_once_on_every_version(data) -> None:
    """Before v0.27 a group edit fires Movie.Update.Post alone; since, Group.Update.Post and then its Movie.* twin
    (resolver_mutation_group.go:212-213): each edit is one rename request, and once Group.* was seen its twins are
    dropped (a deletion likewise)."""
    assert handle_hook(hook_input("Movie.Update.Post", 4, ["name"])) == "scenes of group 4 will be queued for Plex"
    with _store(data) as store:
        assert [(r.kind, r.entity_id) for r in store.entities.pending()] == [("group", 4)]
        store.entities.done(store.entities.pending()[0])
    assert handle_hook(hook_input("Group.Update.Post", 5, ["name"])) == "scenes of group 5 will be queued for Plex"
    assert handle_hook(hook_input("Movie.Update.Post", 5, ["name"])) == "Movie.Update.Post: counted with its Group hook"
    assert handle_hook(hook_input("Movie.Destroy.Post", 5, [])) == "Movie.Destroy.Post: counted with its Group hook"
    assert handle_hook(hook_input("Group.Destroy.Post", 5, [])).startswith("Group.Destroy.Post: the scenes it")
