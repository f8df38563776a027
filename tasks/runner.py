"""Task dispatch: each Stash task button (`args.mode`) maps to one function taking the opened context.

Every task also does what every invocation does: asks whether a reconcile is due. Tasks that drain in the
foreground run it themselves; the others leave it to a background drainer.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

from plugin import log
from plugin.errors import PluginError
from reconciliation.schedule import request_reconcile_if_due
from tasks import admin, missing, sync, unlock
from worker.context import Context, open_context
from worker.spawn import ensure_drainer


class Task(NamedTuple):
    run: Callable[[Context], str]
    drains: bool  # syncs in the foreground (refused while the plugin is disabled)


TASKS: dict[str, Task] = {
    "sync_all": Task(sync.sync_all, True),
    "sync_recent": Task(sync.sync_recent, True),
    "process_queue": Task(sync.process_queue, True),
    "reconcile_all": Task(sync.reconcile_all, True),
    "reconcile_recent": Task(sync.reconcile_recent, True),
    "import_watch_state": Task(sync.import_watch_state, True),
    "dead_letters_retry": Task(admin.dead_letters_retry, True),
    "queue_status": Task(admin.queue_status, False),
    "dead_letters_list": Task(admin.dead_letters_list, False),
    "dead_letters_clear": Task(admin.dead_letters_clear, False),
    "health_check": Task(admin.health_check, False),
    "dry_run": Task(admin.dry_run, False),
    "not_in_plex": Task(missing.scenes_not_in_plex, False),
    "unlock": Task(unlock.unlock, False),
    "unlock_take_back": Task(unlock.unlock_and_take_back, False),
}


def run_task(plugin_input) -> str:
    task = TASKS.get(plugin_input.mode or "")
    if task is None:
        raise PluginError(f"Unknown task mode {plugin_input.mode!r}; expected one of {', '.join(sorted(TASKS))}")
    ctx = open_context(plugin_input)
    try:
        if not ctx.settings.enabled and task.drains:
            return "Stash2Plex is disabled in its settings (enabled = off); nothing was synced"
        request_reconcile_if_due(ctx.store)
        output = task.run(ctx)
        if not task.drains:
            ensure_drainer(ctx.store, plugin_input)
        log.info(output)
        return output
    finally:
        ctx.close()
