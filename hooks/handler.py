"""Hook handling: the user's Save waits for this process, so it only records what changed and leaves.

A hook never talks to Plex, never fetches the scene, never reconciles: it writes one queue row in one
short transaction, makes sure a drainer process exists, and notes whether a reconcile is due.
"""

from __future__ import annotations

from hooks.filters import entity_kind, scene_needs_sync
from plugin import log
from plugin.paths import data_dir, db_path
from reconciliation.schedule import note_invocation
from sync_queue.db import connect
from sync_queue.enqueue import EnqueueRequest, enqueue
from sync_queue.entities import add_entity_request
from sync_queue.meta import get_meta
from worker.spawn import ensure_drainer

SCENE_HOOKS = {"Scene.Update.Post": "edited", "Scene.Create.Post": "created"}


def handle_hook(plugin_input) -> str:
    """Queues the work a hook stands for; returns the one-line output Stash records."""
    hook = plugin_input.hook
    conn = connect(db_path(data_dir(plugin_input.server.plugin_dir)))
    try:
        if not _enabled(conn):
            return "Stash2Plex is disabled in its settings"
        result = _queue(conn, hook)
        note_invocation(conn)
        ensure_drainer(conn, plugin_input)
        return result
    finally:
        conn.close()


def _queue(conn, hook) -> str:
    if hook.id is None:
        log.warning(f"{hook.type} hook without an id: nothing to sync")
        return "nothing to sync"
    if hook.type in SCENE_HOOKS:
        if not scene_needs_sync(hook):
            return f"scene {hook.id}: no field Plex shows was changed"
        # A Scene.Update.Post without inputFields comes from a scan (a new or changed file), not an edit.
        reason = SCENE_HOOKS[hook.type] if hook.input_fields or hook.type != "Scene.Update.Post" else "scanned"
        result = enqueue(conn, [EnqueueRequest(scene_id=hook.id, reason=reason, force=True)])
        return f"scene {hook.id} queued for Plex" if result.queued else f"scene {hook.id} already queued"
    kind = entity_kind(hook)
    if kind is None:
        return f"{hook.type}: nothing Plex shows was changed"
    add_entity_request(conn, kind, hook.id)
    return f"scenes of {kind} {hook.id} will be queued for Plex"


def _enabled(conn) -> bool:
    """The drainer caches the settings it read from Stash; before the first drain we assume enabled."""
    return get_meta(conn, "enabled") != "0"
