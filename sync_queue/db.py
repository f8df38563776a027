"""Opening the plugin database: one file, WAL, durable commits, migrated before first use."""

from __future__ import annotations

import os
import sqlite3
import time

from sync_queue.schema import migrate
from sync_queue.txn import retry_locked, write_txn

BUSY_TIMEOUT_S = 30.0

__all__ = ["BUSY_TIMEOUT_S", "connect", "write_txn"]


def connect(path: str | os.PathLike[str], run_migrations: bool = True) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit, see `write_txn`).

    synchronous=FULL because a lost commit is a lost job; WAL so readers (the UI, hooks checking the
    lease) never wait for the drainer's writes. `timeout` is SQLite's busy timeout (no extra PRAGMA).
    The folder and the file are created readable by their owner only (SQLite gives the -wal and -shm files the
    database's mode). A file that is not a readable database is moved aside, with an error in the log, and a
    new one started: never silently reset, never a plugin that fails forever.
    """
    path = os.fspath(path)
    directory = os.path.dirname(path)
    if directory:
        os.makedirs(directory, mode=0o700, exist_ok=True)
    if not os.path.exists(path):
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    try:
        return _open(path, run_migrations)
    except sqlite3.DatabaseError as exc:
        if isinstance(exc, sqlite3.OperationalError):  # locked, busy, full: not corruption
            raise
        reason = exc
    moved = f"{path}.unreadable-{int(time.time())}"
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.replace(path + suffix, moved + suffix)
    from plugin import log

    log.error(f"The Stash2Plex database could not be read ({reason}); it was moved to {moved} and a new one "
              "started. Scenes it had queued are found again by Sync All or Reconcile Library (All).")
    return _open(path, run_migrations)


def _open(path: str, run_migrations: bool) -> sqlite3.Connection:
    # check_same_thread=False: a drain opens the store in the main thread and its worker thread uses it (one
    # thread at a time, as `Store` requires).
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False)
    try:
        # Switching a fresh file to WAL needs a lock that the busy handler does not always wait for.
        retry_locked(lambda: conn.execute("PRAGMA journal_mode = WAL").fetchone())
        conn.execute("PRAGMA synchronous = FULL")
        if run_migrations:
            migrate(conn)
    except BaseException:
        conn.close()
        raise
    return conn
