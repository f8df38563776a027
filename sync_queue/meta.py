"""Small key/value metadata (last reconcile, settings cache, schema version) in table `meta`."""

from __future__ import annotations

import sqlite3
from typing import Optional

from sync_queue.txn import write_txn

_UPSERT = "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value"


def get_meta(conn: sqlite3.Connection, key: str, default: Optional[str] = None) -> Optional[str]:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return row[0] if row and row[0] is not None else default


def set_meta(conn: sqlite3.Connection, key: str, value: Optional[str]) -> None:
    with write_txn(conn):
        conn.execute(_UPSERT, (key, value))


def claim_if_due(conn: sqlite3.Connection, key: str, interval_s: float, now: float) -> bool:
    """True for exactly one caller per interval, however many processes ask at once.

    The read and the write share one IMMEDIATE transaction, so the second caller sees the first
    caller's timestamp. `key` holds the time of the last successful claim; an unreadable or future
    value (clock moved back) counts as due so a bad value cannot block the work forever.
    """
    with write_txn(conn):
        row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        try:
            last = float(row[0]) if row and row[0] else None
        except ValueError:
            last = None
        if last is not None and last <= now and now - last < interval_s:
            return False
        conn.execute(_UPSERT, (key, repr(float(now))))
        return True
