"""Versioned migrations: old databases upgrade in place, newer ones are refused untouched."""

from __future__ import annotations

import sqlite3

import pytest

from store.db import connect
from store.enqueue import EnqueueRequest, enqueue
from store.meta import get_meta
from store.schema import LATEST_VERSION, SchemaTooNewError, migrate


def _tables(conn) -> set:
    return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def test_fresh_database_is_at_latest_version(conn) -> None:
    assert get_meta(conn, "schema_version") == str(LATEST_VERSION)
    assert {"ack_queue_default", "scene_state", "drainer_lease", "dead_letters", "meta", "plex_items"} <= _tables(conn)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2


def test_v1_database_opens_and_upgrades_keeping_its_data(db_path) -> None:
    db_path.parent.mkdir(parents=True)
    old = connect(db_path, run_migrations=False)
    assert migrate(old, target=1) == 1
    assert "plex_items" not in _tables(old)
    enqueue(old, [EnqueueRequest(9, "edited", True)])
    old.close()

    upgraded = connect(db_path)
    try:
        assert get_meta(upgraded, "schema_version") == str(LATEST_VERSION)
        assert "plex_items" in _tables(upgraded)
        assert upgraded.execute("SELECT status FROM ack_queue_default").fetchall() == [(0,)]
        assert upgraded.execute("SELECT scene_id, status FROM scene_state").fetchall() == [(9, "queued")]
    finally:
        upgraded.close()


def test_newer_database_is_refused_with_a_clear_error(db_path, conn) -> None:
    enqueue(conn, [EnqueueRequest(1, "edited", True)])
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
