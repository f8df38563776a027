"""The drainer lease: at most one process drains the queue, and a dead drainer is replaced.

A single row (id = 1) in the database, changed only inside BEGIN IMMEDIATE, so it is atomic across
processes and portable (no fcntl on Windows). `renew` failing is the fencing signal: someone else
took over, so the old holder must stop before it acks anything else.

A holder that died on this host (owners are "host:pid:...", see worker.drainer.owner_id) is replaced at
once instead of after its TTL: a killed drainer can never renew or ack again, and waiting out the TTL would
leave the queue, and the hooks that trust the lease, idle for a minute.
"""

from __future__ import annotations

import os
import sqlite3

from plugin.record import Record
from sync_queue.txn import write_txn


class LeaseInfo(Record):
    __slots__ = ("owner", "pid", "heartbeat", "expires_at")

    def __init__(self, owner: str, pid: int | None, heartbeat: float, expires_at: float) -> None:
        self._init(owner, pid, heartbeat, expires_at)


def acquire(conn: sqlite3.Connection, owner: str, pid: int, ttl: float, now: float) -> bool:
    """Takes the lease when it is free, expired, or already ours."""
    with write_txn(conn):
        row = conn.execute("SELECT owner, expires_at, pid FROM drainer_lease WHERE id = 1").fetchone()
        if row is not None and row[0] != owner and row[1] > now and not _died_here(row[0], row[2]):
            return False
        conn.execute(
            "INSERT INTO drainer_lease(id, owner, pid, heartbeat, expires_at) VALUES (1, ?, ?, ?, ?) "
            "ON CONFLICT(id) DO UPDATE SET owner = excluded.owner, pid = excluded.pid, "
            "heartbeat = excluded.heartbeat, expires_at = excluded.expires_at",
            (owner, pid, now, now + ttl),
        )
        return True


def renew(conn: sqlite3.Connection, owner: str, pid: int, ttl: float, now: float) -> bool:
    """Extends our lease; False when another process holds it (we lost it and must stop)."""
    with write_txn(conn):
        cursor = conn.execute(
            "UPDATE drainer_lease SET pid = ?, heartbeat = ?, expires_at = ? WHERE id = 1 AND owner = ?",
            (pid, now, now + ttl, owner),
        )
        return cursor.rowcount == 1


def release(conn: sqlite3.Connection, owner: str) -> None:
    """Gives the lease up if we hold it; someone else's lease is left alone."""
    with write_txn(conn):
        conn.execute("DELETE FROM drainer_lease WHERE id = 1 AND owner = ?", (owner,))


def holder(conn: sqlite3.Connection) -> LeaseInfo | None:
    row = conn.execute("SELECT owner, pid, heartbeat, expires_at FROM drainer_lease WHERE id = 1").fetchone()
    return LeaseInfo(*row) if row else None


def is_held(conn: sqlite3.Connection, now: float) -> bool:
    """One read without the write lock: cheap enough for every hook."""
    row = conn.execute("SELECT owner, pid FROM drainer_lease WHERE id = 1 AND expires_at > ?", (now,)).fetchone()
    return row is not None and not _died_here(row[0], row[1])


def _died_here(owner: str, pid: int | None) -> bool:
    """True only when certain: the holder ran on this host and its pid is gone (or a zombie).

    A reused pid looks alive, which only means waiting for the TTL as before. Windows is left to the TTL:
    there os.kill(pid, 0) would terminate the process rather than probe it.
    """
    if not pid or os.name == "nt" or not owner.startswith(_hostname() + ":"):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # e.g. PermissionError: the pid exists, owned by someone else
        return False
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def _hostname() -> str:
    """socket.gethostname() without importing socket (~3 ms of every hook): on POSIX both are uname's nodename."""
    return os.uname().nodename
