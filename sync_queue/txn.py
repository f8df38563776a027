"""Write transactions that never surface a transient "database is locked" to the user.

Hundreds of hook processes may write at once. SQLite's busy timeout covers most waits, but some
SQLITE_BUSY answers skip the busy handler (WAL recovery, a snapshot that cannot be upgraded), so the
start of every write transaction is retried a few times with a jittered pause before giving up.
"""

from __future__ import annotations

import random
import sqlite3
import time
from contextlib import contextmanager
from typing import Callable, Iterator, TypeVar

T = TypeVar("T")

LOCK_RETRIES = 6
_BASE_PAUSE_S = 0.02


def is_locked_error(exc: BaseException) -> bool:
    """SQLite reports both BUSY and LOCKED with these words; nothing else is worth retrying."""
    text = str(exc).lower()
    return isinstance(exc, sqlite3.OperationalError) and ("locked" in text or "busy" in text)


def retry_locked(action: Callable[[], T], retries: int = LOCK_RETRIES) -> T:
    """Runs action, retrying on a busy database; the last failure is re-raised unchanged."""
    for attempt in range(retries):
        try:
            return action()
        except sqlite3.OperationalError as exc:
            if not is_locked_error(exc) or attempt == retries - 1:
                raise
            # Jitter keeps many processes that failed together from retrying together.
            time.sleep(_BASE_PAUSE_S * (2**attempt) * (0.5 + random.random()))
    raise AssertionError("unreachable")


@contextmanager
def write_txn(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on error; joins an enclosing transaction if one is open.

    IMMEDIATE takes the write lock before the first read, so read-then-write logic (dedup, lease,
    claim_if_due) cannot interleave with another process and never hits an unretryable upgrade.
    Joining lets small helpers compose into one atomic unit without nesting SAVEPOINTs.
    """
    if conn.in_transaction:
        yield conn
        return
    retry_locked(lambda: conn.execute("BEGIN IMMEDIATE"))
    try:
        yield conn
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    try:
        retry_locked(lambda: conn.execute("COMMIT"))
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
