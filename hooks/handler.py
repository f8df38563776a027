"""Hook handling: the user's Save waits for this process, so it only records what changed and leaves.

A hook never talks to Plex, never fetches the scene, never reconciles: it writes one queue row in one short
transaction, notes whether a reconcile is due, and makes sure a drainer process exists.
"""

from __future__ import annotations

import sqlite3

from hooks.filters import DESTROY_HOOKS, entity_kind, scene_needs_sync
from plugin import log
from plugin.errors import PluginError
from plugin.paths import data_dir, db_path
from reconciliation.schedule import request_reconcile_if_due
from sync_queue import Store, meta
from sync_queue.dedup import EnqueueRequest
from sync_queue.drain_requests import DELETED, RECONCILE
from sync_queue.vocab import Reason
from worker.spawn import ensure_drainer

SCENE_HOOKS = ("Scene.Update.Post", "Scene.Create.Post")


def handle_hook(plugin_input) -> str:
    """Queues the work a hook stands for; returns the one-line output Stash records. A full disk is a clear
    error (the Save itself is done: Stash runs post hooks after committing), and the transaction rolled back
    leaves nothing half-written."""
    try:
        return _handle(plugin_input)
    except sqlite3.OperationalError as exc:
        if "full" not in str(exc).lower() and "disk i/o" not in str(exc).lower():  # SQLITE_FULL, or IOERR on a WAL
            raise
        raise PluginError(f"Stash2Plex could not write its database in {data_dir(plugin_input.server.plugin_dir)} "
                          f"(the disk is full or failing: {exc}): {plugin_input.hook.type} {plugin_input.hook.id} "
                          "was not queued. Free some space; Sync Recent Scenes to Plex then catches up.") from None


def _handle(plugin_input) -> str:
    with Store(db_path(data_dir(plugin_input.server.plugin_dir))) as store:
        if not store.meta.cached_enabled():
            return "Stash2Plex is disabled in its settings"
        result = _queue(store, plugin_input.hook)
        failure = store.meta.failure_to_show()
        if failure:
            log.warning(f"Stash2Plex: the background sync stopped: {failure}. Queued scenes wait; Queue Status and "
                        "Health Check tell more")
        request_reconcile_if_due(store)
        ensure_drainer(store, plugin_input)
        return result


def scene_request(hook) -> EnqueueRequest:
    """An edit is an edit; a Scene.Update.Post without inputFields comes from a scan (a new or changed file),
    and so does a created scene: Plex may hold the file under a key our index has not seen yet."""
    if hook.type == "Scene.Create.Post":
        return EnqueueRequest(hook.id, Reason.CREATED, file_lookup=True)
    if not hook.input_fields:
        return EnqueueRequest(hook.id, Reason.SCANNED, file_lookup=True)
    return EnqueueRequest(hook.id, Reason.EDITED)


def _queue(store: Store, hook) -> str:
    if hook.id is None:
        log.warning(f"{hook.type} hook without an id: nothing to sync")
        return "nothing to sync"
    if hook.type in SCENE_HOOKS:
        if not scene_needs_sync(hook):
            return f"scene {hook.id}: no field Plex shows was changed"
        result = store.queue.enqueue([scene_request(hook)])
        return f"scene {hook.id} queued for Plex" if result.queued else f"scene {hook.id} already queued"
    if hook.type.startswith("Movie.") and store.meta.get(meta.GROUP_HOOKS_SEEN):  # v0.27+ fires both, Group
        return f"{hook.type}: counted with its Group hook"                         # first (hooks.filters)
    if hook.type.startswith("Group.") and not store.meta.get(meta.GROUP_HOOKS_SEEN):
        store.meta.set(meta.GROUP_HOOKS_SEEN, "1")
    if hook.type in DESTROY_HOOKS:
        store.requests.ask(RECONCILE, DELETED, scope="all")
        return f"{hook.type}: the scenes it changed will be found by a full reconcile"
    kind = entity_kind(hook)
    if kind is None:
        return f"{hook.type}: nothing Plex shows was changed"
    store.entities.add(kind, hook.id)
    return f"scenes of {kind} {hook.id} will be queued for Plex"
