"""Versioned migrations: old databases upgrade in place, newer ones are refused untouched."""

from __future__ import annotations

import sqlite3

import pytest

from sync_queue import Store
from sync_queue.db import connect
from sync_queue.dedup import EnqueueRequest, apply
from sync_queue.drain_requests import BULK_SYNC, DELETED, LISTED, RECONCILE, RUNNING, WATCH
from sync_queue.schema import LATEST_VERSION, SchemaTooNewError, migrate


def _tables(conn) -> set:
    return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def test_fresh_database_is_at_latest_version(conn) -> None:
    assert conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == str(LATEST_VERSION)
    assert {"ack_queue_default", "scene_state", "drainer_lease", "dead_letters", "meta", "plex_items"} <= _tables(conn)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2


def test_v1_database_opens_and_upgrades_keeping_its_data(db_path) -> None:
    db_path.parent.mkdir(parents=True)
    old = connect(db_path, run_migrations=False)
    assert migrate(old, target=1) == 1
    assert "plex_items" not in _tables(old)
    apply(old, [EnqueueRequest(9, "drift", True)])
    old.execute("INSERT INTO scene_state(scene_id, status, field_hashes) VALUES "
                "(10, 'failed', '{\"title\": \"t1\", \"poster\": \"p1\", \"_collections\": \"[\\\"S\\\"]\"}')")
    old.close()

    upgraded = connect(db_path)
    try:
        version = upgraded.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0]
        assert version == str(LATEST_VERSION)
        assert "plex_items" in _tables(upgraded)
        assert upgraded.execute("SELECT status FROM ack_queue_default").fetchall() == [(0,)]
        assert upgraded.execute("SELECT scene_id, status FROM scene_state").fetchall() == [(9, "queued"),
                                                                                            (10, "retrying")]
    finally:
        upgraded.close()
    with Store(db_path) as store:
        moved = store.scenes.get_many([10])[10]
        assert (moved.field_hashes, moved.poster_sha1) == ({"title": "t1"}, "p1")
        assert moved.our_tags == {"collections": ["S"]}
        (job,) = store.queue.claim(1)
        assert (job.scene_id, job.full_push) == (9, True)


def test_v5_requests_kept_as_meta_strings_become_typed_rows(db_path) -> None:
    """A deletion's reconcile, a dead Sync All's mark and a watch request waiting in a v5 database survive the
    upgrade as rows, and the meta strings are gone."""
    db_path.parent.mkdir(parents=True)
    old = connect(db_path, run_migrations=False)
    assert migrate(old, target=5) == 5
    old.executemany("INSERT INTO meta(key, value) VALUES (?, ?)", [
        ("reconcile_requested", "all:deleted"), ("bulk_sync_running", "recent:4242"), ("watch_requested", "listed")])
    old.commit()
    old.close()
    with Store(db_path) as store:
        reconcile, bulk, watch = (store.requests.get(kind) for kind in (RECONCILE, BULK_SYNC, WATCH))
        assert (reconcile.scope, reconcile.reason) == ("all", DELETED)
        assert (bulk.scope, bulk.reason, bulk.pid) == ("recent", RUNNING, 4242)
        assert watch.reason == LISTED
        old_keys = ("reconcile_requested", "bulk_sync_running", "watch_requested")
        assert [store.meta.get(key) for key in old_keys] == [None] * 3
        assert store.requests.done(watch) and not store.requests.done(watch)


def test_newer_database_is_refused_with_a_clear_error(db_path, store, conn) -> None:
    store.queue.enqueue([EnqueueRequest(1, "edited", True)])
    conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(SchemaTooNewError, match=r"schema version 99, newer than this plugin's \d+.*update the plugin"):
        connect(db_path)
    raw = sqlite3.connect(str(db_path))
    assert raw.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == ("99",)
    assert raw.execute("SELECT COUNT(*) FROM ack_queue_default").fetchone() == (1,)
    raw.close()


def test_migrate_is_idempotent(conn) -> None:
    assert migrate(conn) == LATEST_VERSION
    assert migrate(conn) == LATEST_VERSION


def test_an_unreadable_database_is_moved_aside_and_a_new_one_started(db_path, capsys) -> None:
    db_path.parent.mkdir(parents=True)
    db_path.write_bytes(b"this is not an SQLite database, it is " * 200)
    with Store(db_path) as store:
        assert store.queue.enqueue([EnqueueRequest(1, "edited")]).queued == 1
    moved = list(db_path.parent.glob("stash2plex.sqlite3.unreadable-*"))
    assert len(moved) == 1 and moved[0].read_bytes().startswith(b"this is not an SQLite database")
    logged = capsys.readouterr().err
    assert "could not be read" in logged and str(moved[0]) in logged


def test_the_data_folder_and_database_are_readable_by_their_owner_only(tmp_path) -> None:
    import stat

    with Store(tmp_path / "fresh" / "db.sqlite3") as store:
        store.queue.enqueue([EnqueueRequest(1, "edited")])
        assert stat.S_IMODE((tmp_path / "fresh").stat().st_mode) == 0o700
        for name in ("db.sqlite3", "db.sqlite3-wal", "db.sqlite3-shm"):
            assert stat.S_IMODE((tmp_path / "fresh" / name).stat().st_mode) == 0o600, name
