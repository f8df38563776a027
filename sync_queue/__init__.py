"""The plugin's one SQLite database, behind one facade: `Store`.

Every SQL statement of the plugin lives in this package; nothing outside it holds a connection. The facade
groups the tables by concern, each a small class whose methods state their contract:

    store.queue         jobs in (dedup rule) and out (claim, complete, retry, dead-letter, release)
    store.scenes        per-scene sync state (read side)
    store.index         the stored Plex library index (parts by path / basename, listed fields)
    store.lease         the one-drainer lease
    store.meta          key/value metadata: schedules, settings cache for hooks, inferred path map
    store.dead_letters  jobs that failed for good
    store.entities      performer/tag/studio renames waiting to be expanded into scene jobs
    store.watch         per-scene watch-state baselines (plays and resume points last brought in step)
    store.requests      work asked of the drainer: a reconcile, a watch-state pass, a running Sync All's mark

Hooks open it too, so importing this package stays cheap: standard library only, value types are
`plugin.record.Record`s, and persist-queue is imported only to resume or prune (`sync_queue.ackqueue`).
"""

from __future__ import annotations

import os

from sync_queue.db import connect
from sync_queue.dead_letters import DeadLetters
from sync_queue.drain_requests import DrainRequests
from sync_queue.entities import EntityRequests
from sync_queue.index import PlexIndex
from sync_queue.lease import Lease
from sync_queue.meta import Meta
from sync_queue.queue import Queue
from sync_queue.scenes import SceneStates
from sync_queue.txn import write_txn
from sync_queue.watch import WatchBaselines


class Store:
    """One connection to the database (migrated on open), used from one thread."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.path.abspath(os.fspath(path))
        self._conn = connect(self.path)
        self.queue = Queue(self._conn, self.path)
        self.scenes = SceneStates(self._conn)
        self.index = PlexIndex(self._conn)
        self.lease = Lease(self._conn)
        self.meta = Meta(self._conn)
        self.dead_letters = DeadLetters(self._conn)
        self.entities = EntityRequests(self._conn)
        self.watch = WatchBaselines(self._conn)
        self.requests = DrainRequests(self._conn)

    def transaction(self):
        """One write transaction around several calls (each call joins it): one commit, all or nothing."""
        return write_txn(self._conn)

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
