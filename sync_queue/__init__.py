"""The plugin's one SQLite database: jobs (persist-queue's table), sync state, lease, dead letters,
metadata and the stored Plex index.

Importing this package must stay cheap (hooks have ~50 ms for the whole process), so the drainer-only
names that pull in persist-queue (`JobQueue`, `CasAckQueue`) are loaded on first access.
"""

from __future__ import annotations

from typing import Any

from sync_queue.db import connect
from sync_queue.dead_letters import DeadLetter
from sync_queue.enqueue import EnqueueRequest, EnqueueResult, enqueue
from sync_queue.entities import EntityRequest, add_entity_request, done_entity_request, pending_entity_requests
from sync_queue.lease import LeaseInfo
from sync_queue.meta import claim_if_due, get_meta, set_meta
from sync_queue.models import Job, SyncOutcome
from sync_queue.plex_items import PlexItemRecord, PlexPart
from sync_queue.schema import LATEST_VERSION, SchemaTooNewError, migrate
from sync_queue.state import SceneState, get_state, get_states, iter_states, status_counts
from sync_queue.store import SyncStore
from sync_queue.txn import write_txn

_LAZY = {"JobQueue", "CasAckQueue"}

__all__ = [
    "LATEST_VERSION",
    "CasAckQueue",
    "DeadLetter",
    "EnqueueRequest",
    "EnqueueResult",
    "EntityRequest",
    "Job",
    "JobQueue",
    "LeaseInfo",
    "PlexItemRecord",
    "PlexPart",
    "SceneState",
    "SchemaTooNewError",
    "SyncOutcome",
    "SyncStore",
    "add_entity_request",
    "claim_if_due",
    "connect",
    "done_entity_request",
    "enqueue",
    "get_meta",
    "get_state",
    "get_states",
    "iter_states",
    "migrate",
    "pending_entity_requests",
    "set_meta",
    "status_counts",
    "write_txn",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from sync_queue import jobs

        return getattr(jobs, name)
    raise AttributeError(f"module 'sync_queue' has no attribute {name!r}")
