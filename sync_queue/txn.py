"""Write transactions that never surface a transient "database is locked" to the user.

Hundreds of hook processes may write at once. SQLite's busy timeout covers most waits, but some
SQLITE_BUSY answers skip the busy handler (WAL recovery, a snapshot that cannot be upgraded), so the
start of every write transaction is retried a few times with a jittered pause before giving up.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator  # already loaded by json/re; typing would cost a hook ~3 ms

TYPE_CHECKING = False  # a type checker takes this block as run; at run time typing is never imported
if TYPE_CHECKING:
    from typing import TypeVar

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
            import random  # only on contention: a hook that never waits does not pay for it

            # Jitter keeps many processes that failed together from retrying together.
            time.sleep(_BASE_PAUSE_S * (2**attempt) * (0.5 + random.random()))
    raise AssertionError("unreachable")


def write_txn(conn: sqlite3.Connection) -> _WriteTxn:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on error; joins an enclosing transaction if one is open.

    IMMEDIATE takes the write lock before the first read, so read-then-write logic (dedup, lease,
    claim_if_due) cannot interleave with another process and never hits an unretryable upgrade.
    Joining lets small helpers compose into one atomic unit without nesting SAVEPOINTs.
    Use as `with write_txn(conn):` (the value bound by `as` is the connection).
    """
    return _WriteTxn(conn)


class _WriteTxn:
    """The context manager behind write_txn; a class because contextlib is one more import for every hook."""

    __slots__ = ("conn", "owner")

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.owner = False  # True when this block began the transaction (and so must end it)

    def __enter__(self) -> sqlite3.Connection:
        conn = self.conn
        if not conn.in_transaction:
            retry_locked(lambda: conn.execute("BEGIN IMMEDIATE"))
            self.owner = True
        return conn

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        """Commits or rolls back; returns None, so an exception always propagates."""
        if not self.owner:
            return
        conn = self.conn
        if exc_type is not None:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            return
        try:
            retry_locked(lambda: conn.execute("COMMIT"))
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise


IN_CHUNK = 500  # ids per `IN (...)`: below SQLite's bound-parameter limit on old builds (999)


def in_chunks(ids: list) -> Iterator[tuple[list, str]]:
    """`ids` in chunks of IN_CHUNK, each with its placeholders ("?,?,...") for an `IN (...)`."""
    for start in range(0, len(ids), IN_CHUNK):
        chunk = ids[start:start + IN_CHUNK]
        yield chunk, ",".join("?" * len(chunk))
