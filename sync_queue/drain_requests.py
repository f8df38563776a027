"""Work one process asks the drainer to do: a reconcile, a watch-state pass, and the mark of a running Sync All.

One row per kind, typed columns. A request is cleared only once its work is done, by compare-and-set on its `token`
(a fresh random number per write; not `secrets`, whose import a hook would pay for): a drainer killed part-way
leaves it for the next one, and a newer request that replaced it meanwhile stays.

- `reconcile`: `scope` "recent" or "all"; `reason` "auto" (the interval fell due: dropped when the setting says
  never) or "deleted" (a deletion changed scenes without a scene hook: runs whatever the interval setting).
- `watch`: `reason` "task" (a task asked: the listings must be read first), "retry" (a pass that Plex or Stash
  cut short) or "listed" (the reconcile that asked has just read every listing: their watch state is current).
- `bulk_sync`: `scope` and `pid` of a Sync All / Sync Recent still queueing its pages. If that process is gone
  before it cleared the row, the scenes it had not reached are found by a reconcile of the scope (`dead_bulk_sync`).
"""

from __future__ import annotations

import os
import sqlite3

from plugin.record import Record
from sync_queue.lease import process_gone
from sync_queue.txn import write_txn

RECONCILE, WATCH, BULK_SYNC = "reconcile", "watch", "bulk_sync"
AUTO, DELETED = "auto", "deleted"  # reconcile reasons
TASK, RETRY, LISTED = "task", "retry", "listed"  # watch reasons
RUNNING = "running"  # the bulk_sync reason

DDL = f"""CREATE TABLE IF NOT EXISTS drain_requests (
    kind TEXT PRIMARY KEY CHECK (kind IN ('{RECONCILE}', '{WATCH}', '{BULK_SYNC}')),
    scope TEXT CHECK (scope IS NULL OR scope IN ('recent', 'all')),
    reason TEXT NOT NULL,
    pid INTEGER,
    token INTEGER NOT NULL)"""


class DrainRequest(Record):
    kind: str
    scope: str | None
    reason: str
    pid: int | None
    token: int
    __slots__ = tuple(__annotations__)

    def __init__(self, kind: str, scope: str | None, reason: str, pid: int | None, token: int) -> None:
        self._init(kind, scope, reason, pid, token)


class DrainRequests:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def ask(self, kind: str, reason: str, scope: str | None = None, pid: int | None = None,
            keep_waiting: bool = False) -> DrainRequest:
        """Writes the request of `kind` (replacing a waiting one, unless `keep_waiting`) and returns what is now
        waiting. `keep_waiting` is for an auto-reconcile: a deletion's full reconcile must not shrink to a recent
        one, and an older recent request's window already covers the new one."""
        with write_txn(self._conn):
            waiting = self.get(kind)
            if waiting is not None and keep_waiting:
                return waiting
            request = DrainRequest(kind, scope, reason, pid, int.from_bytes(os.urandom(8), "big") >> 2)
            self._conn.execute(
                "INSERT INTO drain_requests(kind, scope, reason, pid, token) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT(kind) DO UPDATE SET scope = excluded.scope, reason = excluded.reason, "
                "pid = excluded.pid, token = excluded.token", (kind, scope, reason, pid, request.token))
            return request

    def get(self, kind: str) -> DrainRequest | None:
        row = self._conn.execute("SELECT kind, scope, reason, pid, token FROM drain_requests WHERE kind = ?",
                                 (kind,)).fetchone()
        return DrainRequest(*row) if row else None

    def done(self, request: DrainRequest) -> bool:
        """Clears the request unless another replaced it meanwhile; True when it was cleared."""
        with write_txn(self._conn):
            return self._conn.execute("DELETE FROM drain_requests WHERE kind = ? AND token = ?",
                                      (request.kind, request.token)).rowcount == 1

    def dead_bulk_sync(self) -> DrainRequest | None:
        """The mark of a Sync All whose process is gone before it finished queueing, else None."""
        request = self.get(BULK_SYNC)
        return request if request is not None and request.pid is not None and process_gone(request.pid) else None

    def reconcile_waiting(self) -> bool:
        """A reconcile is asked for, or owed to a Sync All that died while queueing (no lock)."""
        return self.get(RECONCILE) is not None or self.dead_bulk_sync() is not None
