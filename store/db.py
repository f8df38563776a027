"""Opening the plugin database: one file, WAL, durable commits, migrated before first use."""

from __future__ import annotations

import os
import sqlite3

from store.schema import migrate
from store.txn import retry_locked, write_txn

BUSY_TIMEOUT_S = 30.0

__all__ = ["BUSY_TIMEOUT_S", "connect", "write_txn"]


def connect(path: str | os.PathLike[str], run_migrations: bool = True) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit, see `write_txn`).

    synchronous=FULL because a lost commit is a lost job; WAL so readers (the UI, hooks checking the
    lease) never wait for the drainer's writes. `timeout` is SQLite's busy timeout (no extra PRAGMA).
    """
    directory = os.path.dirname(os.fspath(path))
    if directory:
        os.makedirs(directory, exist_ok=True)
    # check_same_thread=False: a drain opens the store in the main thread and its worker thread uses it (one
    # thread at a time, as `Store` requires).
    conn = sqlite3.connect(os.fspath(path), timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False)
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
