"""The plugin's one SQLite database: jobs (persist-queue's table), sync state, lease, dead letters,
metadata and the stored Plex index.

Importing this package must stay cheap (hooks have ~50 ms for the whole process), so every name is
loaded on first access; persist-queue in particular only comes with `JobQueue`/`CasAckQueue`.
"""

from __future__ import annotations

# What every caller, hooks included, needs; bound eagerly because `enqueue` is also a submodule's name
# (a lazy lookup would hand out the module once the submodule is imported).
from sync_queue.db import connect
from sync_queue.enqueue import EnqueueRequest, EnqueueResult, enqueue

# Everything else: public name -> defining module, imported on first access.
_EXPORTS = {
    "DeadLetter": "dead_letters", "EntityRequest": "entities", "add_entity_request": "entities",
    "done_entity_request": "entities", "pending_entity_requests": "entities", "LeaseInfo": "lease",
    "claim_if_due": "meta", "get_meta": "meta", "is_due": "meta", "set_meta": "meta", "Job": "models",
    "SyncOutcome": "models",
    "PlexItemRecord": "plex_items", "PlexPart": "plex_items", "LATEST_VERSION": "schema",
    "SchemaTooNewError": "schema", "migrate": "schema", "SceneState": "state", "get_state": "state",
    "get_states": "state", "iter_states": "state", "status_counts": "state", "write_txn": "txn",
    "JobQueue": "jobs", "CasAckQueue": "jobs",
}

__all__ = ["connect", "EnqueueRequest", "EnqueueResult", "enqueue", *sorted(_EXPORTS)]


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'sync_queue' has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(f"sync_queue.{module}"), name)
