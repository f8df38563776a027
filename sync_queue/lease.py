"""The drainer lease: at most one process drains the queue, and a dead drainer is replaced.

A single row (id = 1), changed only inside BEGIN IMMEDIATE, so it is atomic across processes and portable (no
fcntl on Windows). `renew` failing is the fencing signal: someone else took over, so the old holder must stop
before it acks anything else.

A holder that died on this host (owners are "host:pid:...", see `owner_id`) is replaced at once instead of
after its TTL: a killed drainer can never renew or ack again, and waiting out the TTL would leave the queue,
and the hooks that trust the lease, idle.
"""

from __future__ import annotations

import os
import sqlite3
import time

from plugin.record import Record
from sync_queue.txn import write_txn


class LeaseInfo(Record):
    owner: str
    pid: int | None
    heartbeat: float
    expires_at: float
    __slots__ = tuple(__annotations__)

    def __init__(self, owner: str, pid: int | None, heartbeat: float, expires_at: float) -> None:
        self._init(owner, pid, heartbeat, expires_at)


def owner_id() -> str:
    """A new owner name for this process: host and pid (so a dead holder can be recognised), and a nonce."""
    return f"{_hostname()}:{os.getpid()}:{time.monotonic_ns()}"


class Lease:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def acquire(self, owner: str, ttl: float, now: float | None = None) -> bool:
        """Takes the lease when it is free, expired, held by a process that died here, or already ours."""
        now = time.time() if now is None else now
        with write_txn(self._conn):
            row = self._conn.execute("SELECT owner, expires_at, pid FROM drainer_lease WHERE id = 1").fetchone()
            if row is not None and row[0] != owner and row[1] > now and not _died_here(row[0], row[2]):
                return False
            self._conn.execute(
                "INSERT INTO drainer_lease(id, owner, pid, heartbeat, expires_at) VALUES (1, ?, ?, ?, ?) "
                "ON CONFLICT(id) DO UPDATE SET owner = excluded.owner, pid = excluded.pid, "
                "heartbeat = excluded.heartbeat, expires_at = excluded.expires_at",
                (owner, os.getpid(), now, now + ttl))
            return True

    def renew(self, owner: str, ttl: float, now: float | None = None) -> bool:
        """Extends our lease; False when another process holds it (we lost it and must stop)."""
        now = time.time() if now is None else now
        with write_txn(self._conn):
            return self._conn.execute(
                "UPDATE drainer_lease SET pid = ?, heartbeat = ?, expires_at = ? WHERE id = 1 AND owner = ?",
                (os.getpid(), now, now + ttl, owner)).rowcount == 1

    def release(self, owner: str) -> None:
        """Gives the lease up if we hold it; someone else's lease is left alone."""
        with write_txn(self._conn):
            self._conn.execute("DELETE FROM drainer_lease WHERE id = 1 AND owner = ?", (owner,))

    def holder(self, now: float | None = None) -> LeaseInfo | None:
        """The live holder (not expired, not known dead), or None. One read without the write lock: cheap
        enough for every hook."""
        now = time.time() if now is None else now
        row = self._conn.execute("SELECT owner, pid, heartbeat, expires_at FROM drainer_lease "
                                 "WHERE id = 1 AND expires_at > ?", (now,)).fetchone()
        return LeaseInfo(*row) if row is not None and not _died_here(row[0], row[1]) else None

    def is_held(self, now: float | None = None) -> bool:
        return self.holder(now) is not None


def _died_here(owner: str, pid: int | None) -> bool:
    """True only when certain: the holder ran on this host and its pid is gone (or a zombie)."""
    return owner.startswith(_hostname() + ":") and process_gone(pid)


def process_gone(pid: int | None) -> bool:
    """True only when certain that this host's process `pid` is gone (or a zombie).

    A reused pid looks alive, which only means waiting for the TTL. Windows is never certain: there
    os.kill(pid, 0) would terminate the process rather than probe it.
    """
    if not pid or os.name == "nt":
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
    return os.uname().nodename if hasattr(os, "uname") else os.environ.get("COMPUTERNAME", "")
