"""Task dispatch: each Stash task button maps to one function taking the opened runtime.

Every task also does what every invocation does: asks whether a reconcile is due. Tasks that drain
in the foreground run it themselves; the others leave it to a background drainer.
"""

from __future__ import annotations

from typing import Callable

from plugin import log
from plugin.errors import PluginError
from reconciliation.schedule import note_invocation
from tasks import admin, sync
from worker.runtime import Runtime, open_runtime
from worker.spawn import ensure_drainer

TASKS: dict[str, Callable[[Runtime], str]] = {
    "sync_all": sync.sync_all,
    "sync_recent": sync.sync_recent,
    "process_queue": sync.process_queue,
    "reconcile_all": sync.reconcile_all,
    "reconcile_recent": sync.reconcile_recent,
    "queue_status": admin.queue_status,
    "dead_letters_list": admin.dead_letters_list,
    "dead_letters_retry": admin.dead_letters_retry,
    "dead_letters_clear": admin.dead_letters_clear,
    "health_check": admin.health_check,
    "dry_run": admin.dry_run,
}
DRAINING = {"sync_all", "sync_recent", "process_queue", "reconcile_all", "reconcile_recent", "dead_letters_retry"}


def run_task(plugin_input) -> str:
    task = TASKS.get(plugin_input.mode or "")
    if task is None:
        raise PluginError(f"Unknown task mode {plugin_input.mode!r}; expected one of {', '.join(sorted(TASKS))}")
    rt = open_runtime(plugin_input)
    try:
        if not rt.settings.enabled and plugin_input.mode in DRAINING:
            return "Stash2Plex is disabled in its settings (enabled = off); nothing was synced"
        note_invocation(rt.conn)
        output = task(rt)
        if plugin_input.mode not in DRAINING:
            ensure_drainer(rt.conn, plugin_input)
        log.info(output)
        return output
    finally:
        rt.close()
