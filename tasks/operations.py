"""What the plugin's pages in Stash ask (Stash's `runPluginOperation`), answered from the database alone.

A page opening asks `status` for its scene ids in one process: no request to Plex or Stash, no plexapi or
requests import (standard library only, like a hook), so 40 scene ids cost one indexed read, not 40 Plex
requests. `sync_now` and `retry_dead_letters` queue through the same dedup rule as every other request and start
a drainer as a hook does. The output never carries the token: links are built from the server's machine id and
address stored when a drain connected (`worker.context.remember_plex_web`). Times are epochs with the answer's
`now`, so the page measures "N minutes ago" on the plugin's clock, not the browser's.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from plugin.errors import PluginError
from plugin.paths import data_dir, db_path
from reconciliation.schedule import request_reconcile_if_due
from sync_queue import Store, meta
from sync_queue.dedup import EnqueueRequest
from sync_queue.scenes import LISTS, SceneState
from sync_queue.vocab import ErrorClass, Reason, SceneStatus
from worker.spawn import ensure_drainer

MAX_IDS = 500  # a page of scenes; more is not a page
PER_PAGE_MAX = 100
DEAD_LETTERS_SHOWN = 50
PLEX_WEB = "https://app.plex.tv/desktop/#!/server/{server}/details?key=%2Flibrary%2Fmetadata%2F{key}"
SERVER_WEB = "{address}/web/index.html#!/server/{server}/details?key=%2Flibrary%2Fmetadata%2F{key}"
# States without a Plex item to open (a stale key would link to an item that is not the scene's).
_NO_LINKS = ("not_in_plex", "ambiguous", "never_synced")


def run_operation(plugin_input) -> dict:
    """Runs `args.operation` on the plugin's database; a bad name or argument is a PluginError (Stash returns it
    to the page as the mutation's error)."""
    name = plugin_input.args.get("operation")
    operation = OPERATIONS.get(name) if isinstance(name, str) else None
    if operation is None:
        raise PluginError(f"Unknown operation {name!r}; expected one of {', '.join(sorted(OPERATIONS))}")
    with Store(db_path(data_dir(plugin_input.server.plugin_dir))) as store:
        return operation(store, plugin_input)


def status(store: Store, plugin_input) -> dict:
    """{"now", "scenes": {id: {"state", "reason", "synced_at", "links"}}} for `args.scene_ids`."""
    ids = _ids(plugin_input.args.get("scene_ids"), "scene_ids")
    return _status(store, ids, time.time())


def sync_now(store: Store, plugin_input) -> dict:
    """Queues `args.scene_id` for a full push (forced: never dropped as in step), starts a drainer, and returns
    the scene's status as `status` does."""
    scene_id = _ids([plugin_input.args.get("scene_id")], "scene_id")[0]
    if not store.meta.cached_enabled():
        raise PluginError("Stash2Plex is disabled in its settings (enabled = off); nothing was queued")
    store.queue.enqueue([EnqueueRequest(scene_id, Reason.SYNC_NOW, full_push=True)])
    request_reconcile_if_due(store)
    ensure_drainer(store, plugin_input)
    return _status(store, [scene_id], time.time())


def overview(store: Store, plugin_input) -> dict:
    """The numbers Queue Status prints, the last pass of each kind with its summary, and the newest dead
    letters."""
    lease = store.lease.holder()
    failure = store.meta.failure()
    letters = store.dead_letters.newest(limit=DEAD_LETTERS_SHOWN)
    return {
        "now": time.time(),
        "queued": store.queue.pending_count(),
        "in_progress": store.queue.claimed_count(),
        "scenes": store.scenes.status_counts(),
        "next_retry_at": store.queue.next_retry_at(),
        "drainer": {"running": lease is not None, "pid": lease.pid if lease else None},
        "last_error": {"at": failure[0], "message": failure[1]} if failure else None,
        "last_auto_reconcile": store.meta.get_float(meta.LAST_AUTO_RECONCILE) or None,
        "passes": {name: _stamped(store, key) for name, key in (
            ("sync", meta.LAST_BULK_SYNC), ("reconcile", meta.LAST_RECONCILE), ("watch", meta.WATCH_LAST_MOVE))},
        "dead_letters": {"total": store.dead_letters.count(), "newest": [
            {"id": d.id, "scene_id": d.scene_id, "error_class": d.error_class, "message": d.message,
             "attempts": d.attempts, "failed_at": d.failed_at} for d in letters]},
    }


def scene_list(store: Store, plugin_input) -> dict:
    """One page of a status-page list (`args.list`: one of `sync_queue.scenes.LISTS`; `args.page` from 1,
    `args.per_page`), each scene with its status."""
    args = plugin_input.args
    name = args.get("list")
    if name not in LISTS:
        raise PluginError(f"Unknown list {name!r}; expected one of {', '.join(sorted(LISTS))}")
    page = _positive(args.get("page", 1), "page")
    per_page = min(PER_PAGE_MAX, _positive(args.get("per_page", 25), "per_page"))
    total, states = store.scenes.listing(name, (page - 1) * per_page, per_page)
    now = time.time()
    return {"now": now, "total": total, "page": page, "per_page": per_page,
            "scenes": [{"scene_id": s.scene_id, **_view(s, False, set(), (None, None), now)} for s in states]}


def retry_dead_letters(store: Store, plugin_input) -> dict:
    """Queues the scenes of `args.letter_ids` again (absent: every letter), as Dead Letters - Retry does, and
    starts a drainer."""
    raw = plugin_input.args.get("letter_ids")
    retried = store.dead_letters.retry(None if raw is None else _ids(raw, "letter_ids"))
    ensure_drainer(store, plugin_input)
    return {"retried": retried}


OPERATIONS: dict[str, Callable[[Store, object], dict]] = {
    "status": status, "sync_now": sync_now, "overview": overview, "list": scene_list,
    "retry_dead_letters": retry_dead_letters,
}


def _status(store: Store, ids: list[int], now: float) -> dict:
    states = store.scenes.get_many(ids)
    running = store.scenes.running(ids)
    present = store.index.present(key for state in states.values() for key in state.plex_keys)
    server = (store.meta.get(meta.PLEX_MACHINE_ID), store.meta.get(meta.PLEX_WEB_URL))
    failure = store.meta.failure()
    scenes = {}
    for scene_id in ids:
        view = _view(states.get(scene_id), scene_id in running, present, server, now)
        if view["state"] == "queued" and failure:
            view["reason"] += f"; the background sync last stopped: {failure[1]}"
        scenes[str(scene_id)] = view
    return {"now": now, "scenes": scenes}


def _view(state: SceneState | None, running: bool, present: set[int], server: tuple[str | None, str | None],
          now: float) -> dict:
    name, reason = _state(state, running, now)
    keys = [] if state is None or name in _NO_LINKS else [k for k in state.plex_keys if k in present]
    return {"state": name, "reason": reason, "synced_at": state.synced_at if state else None,
            "links": _links(keys, *server)}


def _state(state: SceneState | None, running: bool, now: float) -> tuple[str, str]:
    """One of: in_plex, queued, syncing, not_in_plex, ambiguous, out_of_scope, failed, never_synced; and why."""
    if state is None:
        return "never_synced", "Stash2Plex has not synced this scene yet (Sync All, or any edit, queues it)"
    status, error = state.status, state.last_error
    if status in (SceneStatus.SYNCED, SceneStatus.UNCHANGED):
        return "in_plex", "Plex shows what Stash had at the last sync" + (
            "; the cover follows once Stash has one" if state.cover_pending else "")
    if status == SceneStatus.QUEUED:
        return ("syncing", "being sent to Plex now") if running else ("queued", "waiting in the queue")
    if status == SceneStatus.RETRYING:
        when = _in(state.next_attempt_at, now)
        if state.error_class == ErrorClass.NOT_FOUND:
            return "not_in_plex", f"{error or 'no Plex item holds its files'}; looked for again {when}"
        return "queued", f"tried again {when} after: {error or state.error_class}"
    if status == SceneStatus.NOT_FOUND:
        return "not_in_plex", error or "no Plex item holds its files"
    if status == SceneStatus.AMBIGUOUS:
        return "ambiguous", error or "several Plex items could be this scene; none was guessed"
    if status == SceneStatus.OUT_OF_SCOPE:
        return "out_of_scope", error or "left as it is in Plex by the scope settings"
    return "failed", error or "failed for good (see Dead Letters)"


def _links(keys: list[int], machine_id: str | None, address: str | None) -> list[dict]:
    """One link per Plex item: Plex Web at app.plex.tv, and the server's own /web as a second choice."""
    if not machine_id:
        return []
    server = _quoted(machine_id)
    return [{"rating_key": key, "plex_web": PLEX_WEB.format(server=server, key=key),
             "server_web": SERVER_WEB.format(address=address, server=server, key=key) if address else None}
            for key in keys]


def _quoted(text: str) -> str:
    """`urllib.parse.quote(text, safe="")`, without importing urllib (an operation loads what a hook loads)."""
    return "".join(chr(b) if b < 128 and (chr(b).isalnum() or chr(b) in "-._~") else f"%{b:02X}"
                   for b in text.encode("utf-8"))


def _stamped(store: Store, key: str) -> dict | None:
    found = store.meta.stamped(key)
    return {"at": found[0], "summary": found[1]} if found else None


def _in(epoch: float | None, now: float) -> str:
    if not epoch:
        return "soon"
    minutes = round((epoch - now) / 60)
    return f"in {minutes} min" if minutes > 0 else "now"


def _ids(raw: object, name: str) -> list[int]:
    """Stash's ids are strings in GraphQL; numbers are accepted too."""
    if not isinstance(raw, list) or not raw or len(raw) > MAX_IDS:
        raise PluginError(f"Operation argument {name} must be a list of 1 to {MAX_IDS} ids")
    ids = []
    for value in raw:
        if isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, str) and value.isdigit())):
            raise PluginError(f"Operation argument {name} holds {value!r}, which is not an id")
        ids.append(int(value))
    return list(dict.fromkeys(ids))


def _positive(raw: object, name: str) -> int:
    if isinstance(raw, bool) or not isinstance(raw, (int, str)) or not str(raw).isdigit() or int(raw) < 1:
        raise PluginError(f"Operation argument {name} must be a whole number from 1")
    return int(raw)
