"""The drainer: the one process that empties the queue into Plex, detached (hooks) or in a task.

It holds the lease for as long as it works (renewed between batches, taken over by the next drainer
when it dies), claims jobs in batches, and leaves when the queue has been empty for a grace period.
Before leaving it releases the lease and looks once more, so a job queued by a hook that saw the
lease still held is never stranded.
"""

from __future__ import annotations

import os
import signal
import socket
import time
from dataclasses import dataclass, field
from typing import Callable, Optional

from plex.errors import PlexError
from plugin import log
from plugin.errors import PluginError
from reconciliation.schedule import take_request
from sync_queue.lease import acquire, release, renew
from worker.batch import BatchTally, run_batch
from worker.retry import PLEX_DOWN
from worker.runtime import Runtime, open_runtime

# Renewed between batches; a dead holder on this host is replaced at once (sync_queue.lease), so the TTL
# only has to outlast the slowest batch (100 scenes against a struggling Plex with 30 s timeouts).
LEASE_TTL_S = 300.0
IDLE_GRACE_S = 3.0
IDLE_POLL_S = 0.25
# A retry due within this horizon is waited for; a later one is left to the next invocation.
RETRY_HORIZON_S = 120.0


@dataclass
class DrainReport:
    tally: BatchTally = field(default_factory=BatchTally)
    stopped_early: Optional[str] = None
    # Set when the stop was a failure (Plex down, token rejected, Stash unreachable), not a handover:
    # a foreground task must then fail with it rather than report an empty success.
    error: Optional[str] = None


class _StopFlag:
    """Set by SIGTERM/SIGINT: the current batch finishes or is released, then the lease goes."""

    def __init__(self) -> None:
        self.stop = False

    def install(self) -> None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            try:
                signal.signal(sig, self._handle)
            except ValueError:  # not the main thread (tests driving drain() directly)
                return

    def _handle(self, signum, frame) -> None:
        self.stop = True


def owner_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{time.monotonic_ns()}"


def drain(rt: Runtime, owner: str, progress: Callable[[BatchTally], None] | None = None,
          stop: _StopFlag | None = None, linger: bool = True) -> DrainReport:
    """Drains until the queue stays empty; the caller must hold the lease as `owner`.

    A detached drainer lingers (an idle grace period for hooks still firing, and retries due soon); a
    task's foreground drain returns as soon as nothing is ready, so Stash's job queue is not held up.
    """
    stop = stop or _StopFlag()
    report = DrainReport()
    idle_since: float | None = None
    while not stop.stop:
        if not renew(rt.conn, owner, os.getpid(), LEASE_TTL_S, time.time()):
            report.stopped_early = "another drainer took the lease over"
            log.warning("Stash2Plex drainer lost its lease; stopping")
            break
        rt.expand_entity_requests()
        scope = take_request(rt.conn)
        if scope:
            try:
                rt.reconcile(scope)
            except (PluginError, PlexError) as exc:
                report.stopped_early = report.error = log.redact(getattr(exc, "message", None) or str(exc))
                break
        rt.queue.release_due_retries(time.time())
        jobs = rt.queue.claim(rt.settings.batch_size)
        if jobs:
            idle_since = None
            try:
                run_batch(rt, jobs, report.tally)
            except PluginError as exc:
                report.stopped_early = report.error = str(exc)
                break
            if progress:
                progress(report.tally)
            rt.queue.prune_if_due()
            continue
        if rt.breaker.is_open and not linger:
            # A task must not wait out an outage: it reports it; the scenes keep their Plex-down retries.
            report.stopped_early = report.error = "Plex is not reachable (it stopped answering during this run)"
            break
        if rt.breaker_wait():
            continue
        now = time.monotonic()
        idle_since = idle_since or now
        next_retry = rt.queue.next_retry_at()
        waiting_for_retry = next_retry is not None and next_retry - time.time() <= RETRY_HORIZON_S
        if not linger or (now - idle_since >= IDLE_GRACE_S and not waiting_for_retry):
            break
        time.sleep(IDLE_POLL_S)
    return report


def drain_with_lease(rt: Runtime, progress=None, linger: bool = True) -> DrainReport | None:
    """Takes the lease, drains, releases; None when another process holds the lease."""
    owner = owner_id()
    stop = _StopFlag()
    stop.install()
    report = None
    while acquire(rt.conn, owner, os.getpid(), LEASE_TTL_S, time.time()):
        rt.queue.recover_after_takeover()
        # Scenes that waited out a Plex outage go first; if Plex is still down the breaker opens again.
        rt.queue.expedite_retries(PLEX_DOWN)
        try:
            report = drain(rt, owner, progress, stop, linger)
        finally:
            release(rt.conn, owner)
        # Closes the window where a hook saw our lease, did not spawn, and queued after our last claim.
        if stop.stop or report.stopped_early or rt.queue.pending_count() == 0:
            break
    return report


def run_detached(plugin_input) -> str:
    """Entry of the process spawned by hooks: logs to a file, since nobody reads its stderr."""
    rt = open_runtime(plugin_input, log_file=True)
    try:
        report = drain_with_lease(rt)
    finally:
        rt.close()
    if report is None:
        return "another drainer is running"
    if report.error:
        log.error(f"Stash2Plex drainer stopped: {report.error}; the queued scenes wait for the next edit or task")
    log.info(f"Stash2Plex drainer done: {report.tally.summary()}")
    return report.tally.summary()
