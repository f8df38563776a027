"""The drainer: the one process that empties the queue into Plex, detached (started by hooks) or in a task.

Two threads. The worker thread drains: it expands renames, runs a requested reconcile, releases due retries,
claims and runs batches, and leaves when the queue has stayed empty for a grace period. The main thread holds
the lease: it renews it every few seconds however long a batch takes against a slow Plex, turns SIGTERM/SIGINT
into a stop request (the worker finishes its batch, or releases it, and stops), and in a task reports progress
to Stash. Before leaving, the lease is released and the queue looked at once more, so a job queued by a hook
that saw the lease still held is never stranded. A process that dies loses its lease at once to the next
drainer on the same host (`sync_queue.lease`), elsewhere at expiry.
"""

from __future__ import annotations

import os
import signal
import threading
import time
import traceback
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable, Optional

from plex.errors import PlexDown
from plugin import log
from plugin.errors import PluginError, user_message
from reconciliation.engine import run_reconcile
from stash.errors import StashUnavailable
from stash.tagging import mark_from_store
from sync_queue import Store, meta
from sync_queue.dedup import EnqueueRequest
from sync_queue.drain_requests import AUTO, LISTED, RECONCILE, RETRY, WATCH
from sync_queue.lease import owner_id
from sync_queue.queue import Job
from sync_queue.vocab import ErrorClass, Reason
from watch.sync import run_watch_sync
from worker.batch import Tally, fetch_scenes, limited_call, run_batch
from worker.context import Context, open_context
from worker.spawn import SPAWN_WINDOW_S, drainer_needed, remember_failure

PRUNE_INTERVAL_S = 3600.0  # acked rows are history only (dedup lives in scene_state)
RENAME_CHUNK = 500


@dataclass(frozen=True)
class Timings:
    """Every wait of a drain, as parameters (tests shorten them; `STASH2PLEX_IDLE_GRACE_S` sets the grace)."""

    heartbeat_s: float = 5.0  # lease renewal period, independent of batch length
    lease_ttl_s: float = 60.0  # a holder that stops renewing (hung, or dead on another host) loses it after this
    idle_grace_s: float = 3.0  # an empty queue is watched this long for hooks still firing before leaving
    idle_poll_s: float = 0.25
    retry_horizon_s: float = 120.0  # a retry due within this is waited for; a later one is left to a later drain
    max_probe_wait_s: float = 5.0  # longest sleep between checks while Plex is down
    task_outage_s: float = 60.0  # a task waits this long for Plex to come back, then hands over to a detached drainer

    @classmethod
    def from_env(cls) -> Timings:
        """Production timings; tests shorten two: `STASH2PLEX_IDLE_GRACE_S` (never below the spawn window: a hook
        inside it starts no drainer, so the last one must still be there to see its work) and
        `STASH2PLEX_TASK_OUTAGE_S`."""
        changes = {}
        grace = os.environ.get("STASH2PLEX_IDLE_GRACE_S", "").strip()
        if grace:
            changes["idle_grace_s"] = max(SPAWN_WINDOW_S, float(grace))
        outage = os.environ.get("STASH2PLEX_TASK_OUTAGE_S", "").strip()
        if outage:
            changes["task_outage_s"] = float(outage)
        return cls(**changes)


@dataclass
class DrainReport:
    tally: Tally = field(default_factory=Tally)
    stopped_early: Optional[str] = None
    # Set when the stop was a failure (Plex down, token rejected, Stash unreachable), not a handover: a
    # foreground task must then fail with it rather than report an empty success.
    error: Optional[str] = None
    # The drain stopped because Plex is down and left the rest to a detached drainer (which waits it out).
    handed_over: bool = False

    def fail(self, message: str) -> None:
        self.stopped_early = self.error = message


class Drainer:
    """Drains with the lease held. `linger`: a detached drainer waits out the idle grace and near retries; a
    task's foreground drain returns as soon as nothing is ready, so Stash's job queue is not held up."""

    def __init__(self, ctx: Context, linger: bool, progress: Optional[Callable[[Tally], None]] = None,
                 timings: Optional[Timings] = None) -> None:
        self.ctx = ctx
        self.linger = linger
        self.progress = progress
        self.timings = timings or Timings.from_env()
        self.stop = threading.Event()
        self.owner = owner_id()
        self._outage_since: Optional[float] = None

    def run(self) -> Optional[DrainReport]:
        """Takes the lease, drains, releases; None when another live process holds the lease."""
        previous = self._install_signals()
        try:
            return self._run()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _run(self) -> Optional[DrainReport]:
        owner, ttl = self.owner, self.timings.lease_ttl_s
        report = None
        with Store(self.ctx.store.path) as heartbeat:  # the main thread's own connection
            while heartbeat.lease.acquire(owner, ttl):
                self.ctx.store.queue.recover_after_takeover()
                # Scenes that waited out a Plex outage go first; if Plex is still down the breaker opens again.
                self.ctx.store.queue.expedite_retries(ErrorClass.PLEX_DOWN)
                try:
                    report = self._drain_holding(heartbeat, owner)
                finally:
                    heartbeat.lease.release(owner)
                # Closes the window where a hook saw our lease, did not spawn, and left work after our last look.
                if self.stop.is_set() or report.stopped_early or not drainer_needed(self.ctx.store, time.time()):
                    break
        return report

    def _drain_holding(self, heartbeat: Store, owner: str) -> DrainReport:
        report = DrainReport()
        worker = threading.Thread(target=self._work, args=(report,), name="stash2plex-worker", daemon=True)
        worker.start()
        next_beat = time.monotonic() + self.timings.heartbeat_s
        while worker.is_alive():
            worker.join(min(1.0, self.timings.heartbeat_s))
            if self.progress:
                self.progress(report.tally)
            if time.monotonic() >= next_beat and worker.is_alive():
                next_beat = time.monotonic() + self.timings.heartbeat_s
                if not heartbeat.lease.renew(owner, self.timings.lease_ttl_s):
                    log.warning("Stash2Plex drainer lost its lease; stopping after the current batch")
                    report.stopped_early = "another drainer took the lease over"
                    self.stop.set()
        return report

    def _work(self, report: DrainReport) -> None:
        """The worker thread: never dies silently; every failure ends up in the report."""
        try:
            self._drain(report)
        except PluginError as exc:
            report.fail(user_message(exc))
        except Exception as exc:  # a bug: keep the traceback for the log, give the user one line
            log.error(traceback.format_exc())
            report.fail(user_message(exc))

    def _drain(self, report: DrainReport) -> None:
        """The loop. The next batch is claimed and its scenes fetched from Stash (in a helper thread) while the
        current one is pushed to Plex, so Plex never waits on Stash between batches; a batch claimed ahead and
        not run goes back to the queue on the way out."""
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="stash2plex-prefetch") as prefetcher:
            ahead: list = []
            try:
                self._drain_batches(report, prefetcher, ahead)
            finally:
                for jobs, _ in ahead:
                    self.ctx.store.queue.release(jobs)
        if self.ctx.settings.tag_not_in_plex and report.tally.done:  # the tag follows what this drain found
            mark_from_store(self.ctx.stash, self.ctx.store)

    def _drain_batches(self, report: DrainReport, prefetcher: ThreadPoolExecutor, ahead: list) -> None:
        ctx, timings = self.ctx, self.timings
        idle_since: Optional[float] = None
        while not self.stop.is_set():
            if ctx.breaker.is_open:  # nothing goes to Plex but one probe per backoff interval
                if not self._wait_out_outage(report):
                    return
                continue
            self._expand_renames()
            self._reconcile_if_requested()
            self._watch_if_requested()
            ctx.store.queue.release_due_retries()
            scanned = ctx.scans.due()
            if scanned:  # Plex has had time to scan their folders: the scenes it now has are synced
                ctx.store.queue.enqueue([EnqueueRequest(s, Reason.LIBRARY_RESCANNED, file_lookup=True)
                                         for s in ctx.scans.arrived(ctx.stash, ctx.library(), scanned)])
            holder = ctx.store.lease.holder()
            if holder is None or holder.owner != self.owner:  # fenced: never claim without the lease
                log.warning("Stash2Plex drainer lost its lease; stopping")
                report.stopped_early = "another drainer took the lease over"
                return
            jobs, fetched = ahead.pop() if ahead else (ctx.store.queue.claim(ctx.settings.batch_size), None)
            if jobs:
                idle_since = None
                following = ctx.store.queue.claim(ctx.settings.batch_size)
                if following:
                    ahead.append((following, prefetcher.submit(self._prefetch, following)))
                before = Counter(report.tally.counts)
                try:
                    run_batch(ctx, jobs, report.tally, fetched)
                    log.info(f"Batch of {len(jobs)} scenes: {Tally(report.tally.counts - before).summary()}")
                    if ctx.scans.folders:
                        ctx.scans.flush(ctx.store, ctx.library())
                except PlexDown:
                    while ahead:  # waited out above; the batch went back to the queue, and so does the next
                        ctx.store.queue.release(ahead.pop()[0])
                    continue
                if ctx.store.meta.claim_if_due(meta.LAST_QUEUE_PRUNE, PRUNE_INTERVAL_S, time.time()):
                    ctx.store.queue.prune()
                continue
            idle_since = idle_since or time.monotonic()
            next_retry = ctx.store.queue.next_retry_at()
            retry_soon = ctx.scans.waiting or (next_retry is not None
                                               and next_retry - time.time() <= timings.retry_horizon_s)
            if not self.linger or (time.monotonic() - idle_since >= timings.idle_grace_s and not retry_soon):
                return
            self.stop.wait(timings.idle_poll_s)

    def _wait_out_outage(self, report: DrainReport) -> bool:
        """Plex is down. A detached drainer waits, probing with backoff (minutes apart at most, for hours if need
        be, holding no lock hooks wait for); a task waits `task_outage_s`, then hands the rest to a detached
        drainer. Returns whether to go on draining."""
        if self._outage_since is None:
            self._outage_since = time.monotonic()
            log.warning(f"Plex is not reachable; waiting up to {self.timings.task_outage_s:.0f} s for it"
                        if not self.linger else "Plex is not reachable; the queued scenes wait for it (probing "
                        "with backoff, at most minutes apart)")
        elif not self.linger and time.monotonic() - self._outage_since >= self.timings.task_outage_s:
            report.fail("Plex is not reachable")
            report.handed_over = True
            return False
        self._wait_for_plex()
        if not self.ctx.breaker.is_open:
            self._outage_since = None
        return True

    def _reconcile_if_requested(self) -> None:
        """Runs a requested reconcile; an auto-reconcile requested before the hooks knew the interval setting
        is dropped when the setting says never. The request is cleared only once the reconcile has queued its
        last page (and only if no newer one replaced it): a drainer killed or stopped by an outage part-way
        leaves it for the next turn or the next drainer."""
        ctx = self.ctx
        requests = ctx.store.requests
        # First a Sync All that died while queueing its pages, else what hooks or a deletion asked for.
        request = requests.dead_bulk_sync() or requests.get(RECONCILE)
        if request is None:
            return
        # Deletions and interrupted bulk syncs run whatever the interval setting says.
        if request.reason == AUTO and ctx.settings.reconcile_interval is None:
            requests.done(request)
            return
        try:
            report = run_reconcile(ctx.settings, ctx.store, ctx.stash, ctx.library(reread=True),
                                   request.scope or "all")
        except PlexDown:
            ctx.breaker.record_down()
            return
        requests.done(request)
        log.info(report.summary())
        if ctx.settings.sync_watch_state:  # the pass that follows: the reconcile has just re-read the listings
            requests.ask(WATCH, LISTED)

    def _watch_if_requested(self) -> None:
        """Runs the watch-state pass a task asked for (Import Watch State, the Reconcile tasks); the request is
        cleared once the pass ran, so a killed drainer leaves it to the next one."""
        request = self.ctx.store.requests.get(WATCH)
        if request is None:
            return
        if self.ctx.settings.sync_watch_state and not self._sync_watch(refresh=request.reason != LISTED):
            return
        self.ctx.store.requests.done(request)

    def _sync_watch(self, refresh: bool) -> bool:
        """One watch-state pass under the lease; False when Plex or Stash stopped answering (then the pass is
        asked for again, for when they answer)."""
        ctx = self.ctx
        try:
            library = ctx.library(reread=refresh)
            send = lambda call, *args: limited_call(ctx, call, *args)  # noqa: E731
            log.info(run_watch_sync(ctx.store, ctx.stash, library.api, send).summary())
        except (PlexDown, StashUnavailable) as exc:
            log.warning(f"Watch state not moved: {exc.message}; trying again later")
            ctx.store.requests.ask(WATCH, RETRY)  # by then the listings must be read again
            if isinstance(exc, PlexDown):
                ctx.breaker.record_down()
            return False
        except PluginError as exc:
            log.error(f"Watch state not moved: {exc.message}")
        return True

    def _prefetch(self, jobs: list[Job]) -> dict[int, dict]:
        """The next batch's scenes, read in the helper thread with that thread's own Stash client."""
        return fetch_scenes(self.ctx.thread_stash(), jobs)

    def _expand_renames(self) -> None:
        """Queues the scenes of renamed performers, tags, studios and groups (hooks only noted the rename)."""
        store = self.ctx.store
        for request in store.entities.pending():
            ids = list(self.ctx.stash.scene_ids_for(request.kind, request.entity_id))
            for start in range(0, len(ids), RENAME_CHUNK):
                store.queue.enqueue([EnqueueRequest(i, Reason.RENAMED) for i in ids[start:start + RENAME_CHUNK]])
            store.entities.done(request)

    def _wait_for_plex(self) -> None:
        """While the breaker is open: sleeps until the next probe is due (or a stop), then probes once."""
        breaker = self.ctx.breaker
        self.stop.wait(min(breaker.seconds_until_probe(), self.timings.max_probe_wait_s))
        if breaker.seconds_until_probe() > 0 or self.stop.is_set():
            return
        try:
            self.ctx.ping_plex()
        except PluginError:
            breaker.probe_failed()
            return
        log.info("Plex is reachable again; resuming")
        breaker.record_success()
        self.ctx.store.queue.expedite_retries(ErrorClass.PLEX_DOWN)

    def _install_signals(self) -> dict:
        """SIGTERM/SIGINT ask the worker to stop after its batch; the lease is then released. Returns the
        handlers replaced (none off the main thread, where Python allows no handler)."""
        if threading.current_thread() is not threading.main_thread():
            return {}
        return {sig: signal.signal(sig, lambda signum, frame: self.stop.set())
                for sig in (signal.SIGTERM, signal.SIGINT)}


def run_detached(plugin_input) -> str:
    """Entry of the process spawned by hooks and tasks: logs to a file, since nobody reads its stderr, and
    remembers how it ended, so the next hook, Queue Status and Health Check can tell the user."""
    try:
        ctx = open_context(plugin_input, log_file=True)
    except Exception as exc:
        remember_failure(plugin_input, user_message(exc))
        raise
    try:
        report = Drainer(ctx, linger=True).run()
        if report is not None:
            ctx.store.meta.record_failure(report.error, time.time())
    finally:
        ctx.close()
    if report is None:
        return "another drainer is running"
    if report.error:
        log.error(f"Stash2Plex drainer stopped: {report.error}; the queued scenes wait for the next edit or task")
    log.info(f"Stash2Plex drainer done: {report.tally.summary()}")
    return report.tally.summary()
