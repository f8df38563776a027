"""Sync All, Sync Recent, Process Queue and the Reconcile tasks: enqueue through the dedup rule, then
drain in the foreground with progress — or follow the drainer that already runs instead of competing.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import datetime, timedelta, timezone

from plex.fields import SyncToggles
from plugin import log
from plugin.errors import PluginError
from reconciliation.engine import run_reconcile, scene_request
from sync_queue.enqueue import enqueue
from sync_queue.lease import is_held
from sync_queue.state import get_states, status_counts
from worker.drainer import drain_with_lease
from worker.runtime import Runtime

PAGE_SIZE = 500
RECENT = timedelta(hours=24)
# The enqueue pass is the cheap part: it gets the first tenth of the progress bar.
ENQUEUE_SHARE = 0.1
FOLLOW_POLL_S = 1.0


def sync_all(rt: Runtime) -> str:
    return _bulk_sync(rt, None, "Sync All")


def sync_recent(rt: Runtime) -> str:
    return _bulk_sync(rt, datetime.now(timezone.utc) - RECENT, "Sync Recent")


def process_queue(rt: Runtime) -> str:
    pending = rt.queue.pending_count()
    drained = drain_foreground(rt, pending)
    return f"Process Queue: {drained}"


def reconcile_all(rt: Runtime) -> str:
    return _reconcile(rt, "all")


def reconcile_recent(rt: Runtime) -> str:
    return _reconcile(rt, "recent")


def _reconcile(rt: Runtime, scope: str) -> str:
    report = run_reconcile(rt, scope, progress=lambda f: log.progress(ENQUEUE_SHARE * f))
    log.info(report.summary())
    drained = drain_foreground(rt, rt.queue.pending_count())
    return f"{report.summary()} Then: {drained}"


def _bulk_sync(rt: Runtime, since, name: str) -> str:
    started = time.time()
    toggles = SyncToggles.from_settings(rt.settings)
    seen_ids: list[int] = []
    unchanged = 0
    for page in rt.stash.scene_pages(per_page=PAGE_SIZE, updated_since=since):
        requests = [scene_request(s, toggles, name.lower().replace(" ", "_")) for s in page.scenes]
        result = enqueue(rt.conn, requests)
        unchanged += result.dropped
        seen_ids += [r.scene_id for r in requests]
        seen = page.page * PAGE_SIZE
        log.progress(ENQUEUE_SHARE * min(1.0, seen / max(1, page.count)))
    log.info(f"{name}: {len(seen_ids)} scenes looked at, {unchanged} already in step with Plex")
    drain_foreground(rt, rt.queue.pending_count())
    counts = _outcomes(rt, seen_ids, started)
    return (f"{name}: {counts['synced']} synced, {counts['unchanged']} unchanged, {counts['not_found']} not in Plex, "
            f"{counts['ambiguous']} ambiguous, {counts['failed']} failed"
            + (f", {counts['pending']} still queued" if counts["pending"] else ""))


def _outcomes(rt: Runtime, scene_ids: list[int], started: float) -> Counter:
    """Where each scene of the run stands now, read from the sync state (whoever drained it).

    A scene counts as synced only if something was written to Plex during this run; one already in
    step (dropped at enqueue, or pushed with nothing to change) counts as unchanged.
    """
    counts: Counter = Counter()
    for start in range(0, len(scene_ids), 900):
        states = get_states(rt.conn, scene_ids[start:start + 900])
        for scene_id in scene_ids[start:start + 900]:
            state = states.get(scene_id)
            status = state.status if state else "pending"
            if status == "synced" and (state.synced_at or 0) < started:
                status = "unchanged"
            elif status == "dead":
                status = "failed"
            elif state and state.error_class == "not_found":
                status = "not_found"  # its spaced retries go on in the background
            elif status in ("failed", "queued"):
                status = "pending"
            counts[status] += 1
    return counts


def drain_foreground(rt: Runtime, expected: int) -> str:
    """Drains with Stash progress; if another process holds the lease, follows its progress instead."""
    expected = max(1, expected)

    def progress(tally) -> None:
        log.progress(ENQUEUE_SHARE + (1 - ENQUEUE_SHARE) * min(1.0, tally.done / expected))

    while True:
        report = drain_with_lease(rt, progress=progress, linger=False)
        if report is not None:
            if report.error:
                waiting = rt.queue.pending_count() + status_counts(rt.conn).get("failed", 0)
                raise PluginError(f"{report.error}. {report.tally.summary()}; {waiting} scenes stay queued "
                                  "and sync once this is fixed (Process Queue, or any edit)")
            if report.stopped_early:
                log.warning(f"Drain stopped early: {report.stopped_early}")
            return report.tally.summary()
        if not _follow(rt, expected):
            return "the queue was drained by the background drainer"


def _follow(rt: Runtime, expected: int) -> bool:
    """Reports another drainer's progress until it is done; True if its lease ended with work left."""
    log.info("Another Stash2Plex drainer is running; following its progress")
    while is_held(rt.conn, time.time()):
        pending = rt.queue.pending_count() + rt.queue.claimed_count()
        if pending == 0:
            return False
        log.progress(ENQUEUE_SHARE + (1 - ENQUEUE_SHARE) * max(0.0, 1 - pending / expected))
        time.sleep(FOLLOW_POLL_S)
    return rt.queue.pending_count() > 0
