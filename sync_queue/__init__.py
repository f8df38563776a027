"""The plugin's one SQLite database: jobs (persist-queue's table), sync state, lease, dead letters,
metadata and the stored Plex index.

Importing this package must stay cheap (hooks have ~50 ms for the whole process), so every name is
loaded on first access; persist-queue in particular only comes with `JobQueue`/`CasAckQueue`.
"""

from __future__ import annotations

# Public name -> defining module. Importing a submodule (as hooks do: sync_queue.db, sync_queue.enqueue)
# runs this file, so nothing is imported eagerly: a hook pays only for the modules it uses.
_EXPORTS = {
    "connect": "db", "DeadLetter": "dead_letters", "EnqueueRequest": "enqueue", "EnqueueResult": "enqueue",
    "enqueue": "enqueue", "EntityRequest": "entities", "add_entity_request": "entities",
    "done_entity_request": "entities", "pending_entity_requests": "entities", "LeaseInfo": "lease",
    "claim_if_due": "meta", "get_meta": "meta", "set_meta": "meta", "Job": "models", "SyncOutcome": "models",
    "PlexItemRecord": "plex_items", "PlexPart": "plex_items", "LATEST_VERSION": "schema",
    "SchemaTooNewError": "schema", "migrate": "schema", "SceneState": "state", "get_state": "state",
    "get_states": "state", "iter_states": "state", "status_counts": "state", "write_txn": "txn",
    "JobQueue": "jobs", "CasAckQueue": "jobs",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'sync_queue' has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(f"sync_queue.{module}"), name)
