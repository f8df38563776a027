"""Versioned migrations of the plugin database.

`schema_version` lives in the meta table. Migrations run in order inside one write transaction, so
a crash mid-upgrade leaves the previous version intact. A database written by a newer plugin is
refused with a clear error: resetting it would silently drop queued jobs and sync history.
"""

from __future__ import annotations

import json
import sqlite3

from sync_queue import ackqueue, drain_requests
from sync_queue.txn import write_txn


class SchemaTooNewError(RuntimeError):
    """The database was written by a newer Stash2Plex; this one must not touch it."""


def _v1_core(conn: sqlite3.Connection) -> None:
    conn.execute(ackqueue.DDL)
    conn.execute(ackqueue.OPEN_INDEX)
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


def _v3_one_meaning_per_column(conn: sqlite3.Connection) -> None:
    """'failed' meant "a retry is scheduled": now 'retrying'. The poster's sha1 and the collections we added hid
    in field_hashes under 'poster' and '_collections': now columns. Parts carry the duration for tie-breaks.
    Pending jobs get the explicit decisions their reason used to imply."""
    conn.execute("UPDATE scene_state SET status = 'retrying' WHERE status = 'failed'")
    conn.execute("ALTER TABLE scene_state ADD COLUMN poster_sha1 TEXT")
    conn.execute("ALTER TABLE scene_state ADD COLUMN our_collections TEXT")
    conn.execute("ALTER TABLE plex_parts ADD COLUMN duration INTEGER")
    rows = conn.execute("SELECT scene_id, field_hashes FROM scene_state WHERE field_hashes LIKE '%\"poster\"%' "
                        "OR field_hashes LIKE '%\"_collections\"%'").fetchall()
    for scene_id, text in rows:
        hashes = json.loads(text)
        poster, collections = hashes.pop("poster", None), hashes.pop("_collections", None)
        conn.execute("UPDATE scene_state SET field_hashes = ?, poster_sha1 = ?, our_collections = ? WHERE scene_id = ?",
                     (json.dumps(hashes, sort_keys=True), poster, collections, scene_id))
    implied = {"drift": "full_push", "created": "file_lookup", "scanned": "file_lookup"}
    for row_id, data in conn.execute(f"SELECT _id, data FROM {ackqueue.TABLE} WHERE status < 2").fetchall():
        payload = ackqueue.decode(data)
        if payload is not None and payload.get("reason") in implied:
            ackqueue.rewrite(conn, row_id, {**payload, implied[payload["reason"]]: True})


def _v4_our_tags_by_field(conn: sqlite3.Connection) -> None:
    """Labels (and genres, when tags move to labels) are shared with the user's own like collections: what this
    plugin added is now kept per field, {"collections": [...], "labels": [...], "genres": [...]}."""
    conn.execute("ALTER TABLE scene_state RENAME COLUMN our_collections TO our_tags")
    rows = conn.execute("SELECT scene_id, our_tags FROM scene_state WHERE our_tags IS NOT NULL").fetchall()
    for scene_id, text in rows:
        conn.execute("UPDATE scene_state SET our_tags = ? WHERE scene_id = ?",
                     (json.dumps({"collections": json.loads(text)}, ensure_ascii=False), scene_id))


def _v5_watch_baselines(conn: sqlite3.Connection) -> None:
    """Per scene, the watch state both sides had when it was last brought in step (`sync_queue.watch`)."""
    conn.execute(
        """CREATE TABLE IF NOT EXISTS watch_state (
            scene_id INTEGER PRIMARY KEY,
            stash_plays INTEGER NOT NULL,
            stash_resume_s REAL NOT NULL,
            plex_plays INTEGER NOT NULL,
            plex_offset_ms INTEGER NOT NULL,
            moving INTEGER NOT NULL DEFAULT 0,
            moved_at REAL
        )"""
    )
    conn.execute("CREATE INDEX IF NOT EXISTS ix_watch_state_moving ON watch_state(scene_id) WHERE moving = 1")


def _v6_drain_requests(conn: sqlite3.Connection) -> None:
    """Requests between processes become typed rows (`sync_queue.drain_requests`); the meta values that held
    them as strings ("all:deleted", "<scope>:<pid>", "listed") are moved there and removed."""
    conn.execute(drain_requests.DDL)
    old = dict(conn.execute("SELECT key, value FROM meta WHERE key IN "
                            "('reconcile_requested', 'bulk_sync_running', 'watch_requested') AND value != ''"))
    rows: list[tuple[str, str | None, str, int | None]] = []
    scope, _, why = (old.get("reconcile_requested") or "").partition(":")
    if scope in ("recent", "all"):
        rows.append((drain_requests.RECONCILE, scope, drain_requests.DELETED if why else drain_requests.AUTO, None))
    scope, _, pid = (old.get("bulk_sync_running") or "").partition(":")
    if scope in ("recent", "all") and pid.isdigit():
        rows.append((drain_requests.BULK_SYNC, scope, drain_requests.RUNNING, int(pid)))
    if old.get("watch_requested"):
        reason = drain_requests.LISTED if old["watch_requested"] == "listed" else drain_requests.TASK
        rows.append((drain_requests.WATCH, None, reason, None))
    conn.executemany("INSERT INTO drain_requests(kind, scope, reason, pid, token) VALUES (?, ?, ?, ?, "
                     "abs(random()) % 4611686018427387904)", rows)
    conn.execute("DELETE FROM meta WHERE key IN ('reconcile_requested', 'bulk_sync_running', 'watch_requested')")


def _v7_watch_sessions(conn: sqlite3.Connection) -> None:
    """What a Stash play means (issue 20): the watched seconds at the baseline and those since the point was last at
    the start, and when the plugin saw each side's point take its value. A baseline from before has no watched
    seconds (NULL): its next pass records them and takes the plays since as plays added by hand."""
    for column in ("stash_watched_s REAL", "stash_carry_s REAL NOT NULL DEFAULT 0",
                   "stash_seen_s REAL NOT NULL DEFAULT 0", "stash_seen_at REAL NOT NULL DEFAULT 0",
                   "plex_seen_ms INTEGER NOT NULL DEFAULT 0", "plex_seen_at REAL NOT NULL DEFAULT 0"):
        conn.execute(f"ALTER TABLE watch_state ADD COLUMN {column}")
    conn.execute("UPDATE watch_state SET stash_seen_s = stash_resume_s, plex_seen_ms = plex_offset_ms")


# Each migration takes the connection, inside the one write transaction of `migrate`.
MIGRATIONS: tuple = (_v1_core, _v2_plex_index_and_entities, _v3_one_meaning_per_column, _v4_our_tags_by_field,
                      _v5_watch_baselines, _v6_drain_requests, _v7_watch_sessions)
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
