"""Small key/value metadata (last reconcile, settings cache, schema version) in table `meta`."""

from __future__ import annotations

import sqlite3

from sync_queue.txn import write_txn

_UPSERT = "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value"


def get_meta(conn: sqlite3.Connection, key: str, default: str | None = None) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return row[0] if row and row[0] is not None else default


def set_meta(conn: sqlite3.Connection, key: str, value: str | None) -> None:
    with write_txn(conn):
        conn.execute(_UPSERT, (key, value))


def claim_if_due(conn: sqlite3.Connection, key: str, interval_s: float, now: float) -> bool:
    """True for exactly one caller per interval, however many processes ask at once.

    A plain read first: when it already shows the interval running (the common case for every hook),
    the answer is False without taking the write lock, which the drainer may be holding. Otherwise the
    read and the write share one IMMEDIATE transaction, so the second caller sees the first caller's
    timestamp. `key` holds the time of the last successful claim; an unreadable or future value (clock
    moved back) counts as due so a bad value cannot block the work forever.
    """
    if not is_due(conn, key, interval_s, now):
        return False
    with write_txn(conn):
        if not is_due(conn, key, interval_s, now):
            return False
        conn.execute(_UPSERT, (key, repr(float(now))))
        return True


def is_due(conn: sqlite3.Connection, key: str, interval_s: float, now: float) -> bool:
    """Whether claim_if_due could succeed now: one read, no lock (callers use it to skip a write transaction)."""
    value = get_meta(conn, key)
    try:
        last = float(value) if value else None
    except ValueError:
        last = None
    return last is None or last > now or now - last >= interval_s
