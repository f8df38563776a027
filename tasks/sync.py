"""Sync All, Sync Recent, Process Queue and the Reconcile tasks: enqueue through the dedup rule, then drain in
the foreground with progress — or follow the drainer that already runs instead of competing.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from datetime import datetime, timedelta, timezone

from mapping.scope import scope_group
from plugin import log
from plugin.errors import PluginError
from reconciliation.engine import run_reconcile, scene_request
from stash.client import walk_scenes
from sync_queue import meta
from sync_queue.drain_requests import BULK_SYNC, LISTED, RUNNING, TASK, WATCH
from sync_queue.vocab import ErrorClass, Reason, SceneStatus
from worker.batch import Tally
from worker.context import Context
from worker.drainer import Drainer
from worker.spawn import ensure_drainer

RECENT = timedelta(hours=24)
# The enqueue pass is the cheap part: it gets the first tenth of the progress bar.
ENQUEUE_SHARE = 0.1
FOLLOW_POLL_S = 1.0
WATCH_WAIT_S = 600.0  # how long a task waits for the drainer's watch-state pass before leaving it running


def sync_all(ctx: Context) -> str:
    return _bulk_sync(ctx, None, "Sync All", Reason.SYNC_ALL)


def sync_recent(ctx: Context) -> str:
    return _bulk_sync(ctx, datetime.now(timezone.utc) - RECENT, "Sync Recent", Reason.SYNC_RECENT)


def process_queue(ctx: Context) -> str:
    return f"Process Queue: {drain_foreground(ctx, ctx.store.queue.pending_count())}"


def reconcile_all(ctx: Context) -> str:
    return _reconcile(ctx, "all")


def reconcile_recent(ctx: Context) -> str:
    return _reconcile(ctx, "recent")


def _reconcile(ctx: Context, scope: str) -> str:
    report = run_reconcile(ctx.settings, ctx.store, ctx.stash, ctx.library(reread=True), scope,
                           progress=lambda f: log.progress(ENQUEUE_SHARE * f))
    log.info(report.summary())
    if not ctx.settings.sync_watch_state:
        return f"{report.summary()} Then: {drain_foreground(ctx, ctx.store.queue.pending_count())}"
    drained, watch = _with_watch_pass(ctx, LISTED)
    return f"{report.summary()} Then: {drained}. {watch}"


def import_watch_state(ctx: Context) -> str:
    """The watch-state pass now, run by the drainer (which holds the lease, so passes never overlap)."""
    if not ctx.settings.sync_watch_state:
        return ("Watch state sync is off (setting sync_watch_state): nothing about watch state was read or "
                "written")
    return _with_watch_pass(ctx, TASK)[1]


def _with_watch_pass(ctx: Context, reason: str) -> tuple[str, str]:
    """Asks the drainer for a watch-state pass (`reason`: see `sync_queue.drain_requests`), drains (or follows the
    running drainer) until it is done; returns the drain's summary and the pass's."""
    store = ctx.store
    before = store.meta.get(meta.WATCH_LAST_MOVE)
    asked = store.requests.ask(WATCH, reason)
    drained = drain_foreground(ctx, store.queue.pending_count())
    deadline = time.monotonic() + WATCH_WAIT_S
    # Followed another drainer: it takes the request at its next turn. One that ended just before taking it
    # leaves the lease free: then this task drains once more and runs the pass itself.
    ran_again = False
    while store.meta.get(meta.WATCH_LAST_MOVE) == before and store.requests.get(WATCH) == asked:
        if not store.lease.is_held():
            if ran_again:
                break
            drained, ran_again = drain_foreground(ctx, store.queue.pending_count()), True
        elif time.monotonic() > deadline:
            break
        time.sleep(FOLLOW_POLL_S / 4)
    moved = store.meta.stamped(meta.WATCH_LAST_MOVE)
    if store.meta.get(meta.WATCH_LAST_MOVE) == before or moved is None:
        return drained, "Watch state: the pass has not run yet (Plex or Stash not answering?); it runs when they do"
    return drained, moved[1]


def _bulk_sync(ctx: Context, since, name: str, reason: Reason) -> str:
    started = time.time()
    toggles = ctx.toggles()
    seen_ids: list[int] = []
    unchanged = 0
    # Until the last page is queued, a marker stands for the rest: if this process dies, a drainer reconciles.
    marker = ctx.store.requests.ask(BULK_SYNC, RUNNING, scope="recent" if since else "all", pid=os.getpid())
    for page in walk_scenes(ctx.stash, lambda share: log.progress(ENQUEUE_SHARE * share), since):
        requests = [scene_request(s, toggles, reason) for s in page.scenes]
        unchanged += ctx.store.queue.enqueue(requests).dropped
        seen_ids += [r.scene_id for r in requests]
    ctx.store.requests.done(marker)
    log.info(f"{name}: {len(seen_ids)} scenes looked at, {unchanged} already in step with Plex")
    drain_foreground(ctx, ctx.store.queue.pending_count())
    counts = outcomes(ctx, seen_ids, started)
    left_out = {rule: n for rule, n in sorted(counts.items()) if rule.startswith("out of scope: ")}
    summary = (f"{name}: {counts['synced']} synced, {counts['unchanged']} unchanged, "
               f"{counts['not_found']} not in Plex, {counts['ambiguous']} ambiguous, {counts['failed']} failed"
               + (f", {counts['pending']} still queued" if counts["pending"] else "")
               + (f", {sum(left_out.values())} out of scope ("
                  + ", ".join(f"{rule[len('out of scope: '):]} {n}" for rule, n in left_out.items()) + ")"
                  if left_out else ""))
    ctx.store.meta.stamp(meta.LAST_BULK_SYNC, summary, time.time())
    return summary


def outcomes(ctx: Context, scene_ids: list[int], started: float) -> Counter:
    """Where each scene of the run stands now, read from the sync state (whoever drained it).

    A scene counts as synced only if something was written to Plex during this run; one already in step
    (dropped at enqueue, or pushed with nothing to change) counts as unchanged. Dead-lettered scenes count as
    failed; scenes Plex lacks as not found even while their spaced retries go on in the background.
    """
    counts: Counter = Counter()
    states = ctx.store.scenes.get_many(scene_ids)
    for scene_id in scene_ids:
        state = states.get(scene_id)
        if state is None or state.status in (SceneStatus.QUEUED, SceneStatus.RETRYING):
            status = "not_found" if state and state.error_class == ErrorClass.NOT_FOUND else "pending"
        elif state.status == SceneStatus.DEAD:
            status = "failed"
        elif state.status == SceneStatus.OUT_OF_SCOPE:
            status = f"out of scope: {scope_group(state.last_error)}"
        elif state.status == SceneStatus.SYNCED and (state.synced_at or 0) < started:
            status = "unchanged"
        else:
            status = str(state.status)
        counts[status] += 1
    return counts


def drain_foreground(ctx: Context, expected: int) -> str:
    """Drains with Stash progress; if another process holds the lease, follows its progress instead."""
    expected = max(1, expected)

    def progress(tally: Tally) -> None:
        log.progress(ENQUEUE_SHARE + (1 - ENQUEUE_SHARE) * min(1.0, tally.done / expected))

    while True:
        report = Drainer(ctx, linger=False, progress=progress).run()
        if report is not None:
            if report.error:
                waiting = ctx.store.queue.pending_count() + ctx.store.scenes.status_counts().get(
                    SceneStatus.RETRYING, 0)
                if report.handed_over and ctx.plugin_input is not None:
                    ensure_drainer(ctx.store, ctx.plugin_input, force=True)
                    raise PluginError(f"{report.error}. {report.tally.summary()}; {waiting} scenes stay queued and "
                                      "a background sync finishes them by itself once Plex answers")
                raise PluginError(f"{report.error.rstrip('.')}. {report.tally.summary()}; {waiting} scenes stay queued "
                                  "and sync once this is fixed (Process Queue, or any edit)")
            if report.stopped_early:
                log.warning(f"Drain stopped early: {report.stopped_early}")
            return report.tally.summary()
        if not _follow(ctx, expected):
            return "the queue was drained by the background drainer"


def _follow(ctx: Context, expected: int) -> bool:
    """Reports another drainer's progress until it is done; True if its lease ended with work left."""
    log.info("Another Stash2Plex drainer is running; following its progress")
    queue = ctx.store.queue
    while ctx.store.lease.is_held():
        pending = queue.pending_count() + queue.claimed_count()
        if pending == 0:
            return False
        log.progress(ENQUEUE_SHARE + (1 - ENQUEUE_SHARE) * max(0.0, 1 - pending / expected))
        time.sleep(FOLLOW_POLL_S)
    return queue.pending_count() > 0
