"""`SyncStore`: one object over the plugin database for callers who prefer methods to functions.

It holds one connection and forwards to the modules of this package. The drainer half (JobQueue,
which imports persist-queue) is created on first use, so a hook that only enqueues stays fast.
"""

from __future__ import annotations

import os
import sqlite3
import time
from typing import TYPE_CHECKING, Dict, Iterable, List, Optional, Union

from sync_queue import lease, meta, plex_items
from sync_queue.db import connect
from sync_queue.enqueue import EnqueueRequest, EnqueueResult, enqueue
from sync_queue.models import Job, SyncOutcome

if TYPE_CHECKING:
    from sync_queue.jobs import JobQueue


class SyncStore:
    def __init__(self, path: Union[str, os.PathLike[str]], conn: sqlite3.Connection) -> None:
        self.path = os.fspath(path)
        self.conn = conn
        self._jobs: Optional[JobQueue] = None

    @classmethod
    def open(cls, path: Union[str, os.PathLike[str]]) -> SyncStore:
        """Opens (creating and migrating as needed) the database file at `path`."""
        return cls(path, connect(path))

    def close(self) -> None:
        if self._jobs is not None:
            self._jobs.close()
        self.conn.close()

    def __enter__(self) -> SyncStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def jobs(self) -> JobQueue:
        if self._jobs is None:
            from sync_queue.jobs import JobQueue

            self._jobs = JobQueue(self.path, conn=self.conn)
        return self._jobs

    # queue
    def enqueue(self, requests: Iterable[EnqueueRequest]) -> EnqueueResult:
        return enqueue(self.conn, requests)

    def claim(self, limit: int) -> List[Job]:
        return self.jobs.claim(limit)

    def record_fetched(self, scene_id: int, updated_at: Optional[str]) -> None:
        self.jobs.record_fetched(scene_id, updated_at)

    def complete(self, job: Job, outcome: SyncOutcome) -> None:
        self.jobs.complete(job, outcome)

    def retry_later(
        self, job: Job, error_class: str, message: Optional[str], delay: float, count_attempt: bool = True
    ) -> int:
        return self.jobs.retry_later(job, error_class, message, delay, count_attempt=count_attempt)

    def dead_letter(self, job: Job, error_class: str, message: Optional[str], attempts: int = 0) -> None:
        self.jobs.dead_letter(job, error_class, message, attempts)

    # lease
    def acquire_lease(self, owner: str, ttl: float) -> bool:
        return lease.acquire(self.conn, owner, os.getpid(), ttl, time.time())

    def renew_lease(self, owner: str, ttl: float) -> bool:
        return lease.renew(self.conn, owner, os.getpid(), ttl, time.time())

    def release_lease(self, owner: str) -> None:
        lease.release(self.conn, owner)

    def lease_holder(self) -> Optional[lease.LeaseInfo]:
        return lease.holder(self.conn)

    # metadata
    def get_meta(self, key: str, default: Optional[str] = None) -> Optional[str]:
        return meta.get_meta(self.conn, key, default)

    def set_meta(self, key: str, value: Optional[str]) -> None:
        meta.set_meta(self.conn, key, value)

    def claim_if_due(self, key: str, interval: float, now: Optional[float] = None) -> bool:
        return meta.claim_if_due(self.conn, key, interval, time.time() if now is None else now)

    # Plex index
    def replace_plex_items(self, section_id: int, items: Iterable[plex_items.PlexItemRecord]) -> int:
        return plex_items.replace_section(self.conn, section_id, items)

    def plex_items_by_path(self, paths: Iterable[str]) -> Dict[str, List[plex_items.PlexPart]]:
        return plex_items.by_paths(self.conn, paths)

    def plex_items_by_basename(self, names: Iterable[str]) -> Dict[str, List[plex_items.PlexPart]]:
        return plex_items.by_basenames(self.conn, names)
