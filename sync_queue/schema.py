"""Versioned migrations of the plugin database.

`schema_version` lives in the meta table. Migrations run in order inside one write transaction, so
a crash mid-upgrade leaves the previous version intact. A database written by a newer plugin is
refused with a clear error: resetting it would silently drop queued jobs and sync history.
"""

from __future__ import annotations

import sqlite3

from sync_queue.txn import write_txn

QUEUE_TABLE = "ack_queue_default"
# persist-queue 1.1.0's exact DDL (sqlackqueue.SQLiteAckQueue._SQL_CREATE): hooks write rows into it
# without importing persist-queue, and the drainer reads them back through persist-queue.
QUEUE_DDL = (
    f"CREATE TABLE IF NOT EXISTS {QUEUE_TABLE} ("
    "_id INTEGER PRIMARY KEY AUTOINCREMENT, data BLOB, timestamp FLOAT, status INTEGER)"
)


class SchemaTooNewError(RuntimeError):
    """The database was written by a newer Stash2Plex; this one must not touch it."""


def _v1_core(conn: sqlite3.Connection) -> None:
    conn.execute(QUEUE_DDL)
    # Matches persist-queue's literal `status < 2`, so its claim SELECT stays O(log n) behind acked rows.
    conn.execute(f"CREATE INDEX IF NOT EXISTS ix_ack_open ON {QUEUE_TABLE}(_id) WHERE status < 2")
    conn.execute(
        """CREATE TABLE IF NOT EXISTS scene_state (
            scene_id INTEGER PRIMARY KEY,
            job_id INTEGER,
            last_synced_updated_at TEXT,
            last_synced_epoch REAL,
            fetched_updated_at TEXT,
            fetched_epoch REAL,
            content_hash TEXT,
            field_hashes TEXT,
            plex_keys TEXT,
            status TEXT NOT NULL DEFAULT 'queued',
            cover_pending INTEGER NOT NULL DEFAULT 0,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at REAL,
            error_class TEXT,
            last_error TEXT,
            synced_at REAL)"""
    )
    conn.execute(
        "CREATE INDEX IF NOT EXISTS ix_scene_state_retry ON scene_state(next_attempt_at) "
        "WHERE next_attempt_at IS NOT NULL"
    )
    conn.execute(
        "CREATE INDEX IF NOT EXISTS ix_scene_state_cover ON scene_state(scene_id) WHERE cover_pending = 1"
    )
    conn.execute("CREATE INDEX IF NOT EXISTS ix_scene_state_status ON scene_state(status)")
    conn.execute(
        """CREATE TABLE IF NOT EXISTS drainer_lease (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            owner TEXT NOT NULL,
            pid INTEGER,
            heartbeat REAL NOT NULL,
            expires_at REAL NOT NULL)"""
    )
    conn.execute(
        """CREATE TABLE IF NOT EXISTS dead_letters (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            scene_id INTEGER NOT NULL,
            error_class TEXT NOT NULL,
            message TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            failed_at REAL NOT NULL,
            reason TEXT)"""
    )


def _v2_plex_index_and_entities(conn: sqlite3.Connection) -> None:
    conn.execute(
        """CREATE TABLE IF NOT EXISTS plex_items (
            rating_key INTEGER PRIMARY KEY,
            section_id INTEGER NOT NULL,
            fields TEXT NOT NULL DEFAULT '{}',
            indexed_at REAL NOT NULL)"""
    )
    conn.execute("CREATE INDEX IF NOT EXISTS ix_plex_items_section ON plex_items(section_id, rating_key)")
    conn.execute(
        """CREATE TABLE IF NOT EXISTS plex_parts (
            path TEXT NOT NULL,
            basename TEXT NOT NULL,
            size INTEGER,
            rating_key INTEGER NOT NULL)"""
    )
    conn.execute("CREATE INDEX IF NOT EXISTS ix_plex_parts_path ON plex_parts(path)")
    conn.execute("CREATE INDEX IF NOT EXISTS ix_plex_parts_basename ON plex_parts(basename)")
    conn.execute("CREATE INDEX IF NOT EXISTS ix_plex_parts_item ON plex_parts(rating_key)")
    conn.execute(
        """CREATE TABLE IF NOT EXISTS entity_requests (
            kind TEXT NOT NULL,
            entity_id INTEGER NOT NULL,
            requested_at REAL NOT NULL,
            PRIMARY KEY (kind, entity_id))"""
    )


# Each migration takes the connection, inside the one write transaction of `migrate`.
MIGRATIONS: tuple = (_v1_core, _v2_plex_index_and_entities)
LATEST_VERSION = len(MIGRATIONS)
_META_DDL = "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)"


def _read_version(conn: sqlite3.Connection) -> int | None:
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return None
        raise
    return int(row[0]) if row else None


def _check_not_newer(version: int, target: int) -> None:
    if version > target:
        raise SchemaTooNewError(
            f"the Stash2Plex database is at schema version {version}, newer than this plugin's {target}; "
            "update the plugin (the database was left untouched)"
        )


def migrate(conn: sqlite3.Connection, target: int = LATEST_VERSION) -> int:
    """Brings the database to `target` (default: latest); returns the version it is now at.

    The common case (already current) is one read without the write lock, which matters when
    hundreds of hook processes open the database at once.
    """
    current = _read_version(conn)
    if current is not None:
        _check_not_newer(current, target)
        if current == target:
            return current
    with write_txn(conn):
        conn.execute(_META_DDL)
        current = _read_version(conn) or 0
        _check_not_newer(current, target)
        for version in range(current + 1, target + 1):
            MIGRATIONS[version - 1](conn)
        if target != current:
            conn.execute(
                "INSERT INTO meta(key, value) VALUES ('schema_version', ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (str(target),),
            )
    return target
