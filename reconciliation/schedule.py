"""Auto-reconcile: every invocation asks "is a reconcile due?", at most one claims it per interval.

The check is one indexed read of the metadata table, cheap enough for a hook. Whoever wins the claim only
leaves a request behind; the drainer (never a hook's foreground) takes and runs it.
"""

from __future__ import annotations

import time

from sync_queue import Store, meta
from sync_queue.drain_requests import AUTO, RECONCILE

DEFAULT_INTERVAL_S = 3600.0


def request_reconcile_if_due(store: Store, now: float | None = None) -> bool:
    """Leaves a reconcile request when one is due (interval and scope as the drainer last cached them);
    True when this invocation claimed it."""
    interval = float(store.meta.get(meta.RECONCILE_INTERVAL_S) or DEFAULT_INTERVAL_S)
    if interval <= 0:
        return False
    now = time.time() if now is None else now
    if not store.meta.is_due(meta.LAST_AUTO_RECONCILE, interval, now):
        return False  # the common case: one read, no write lock
    with store.transaction():  # the claim and the request commit together: a crash between them loses neither
        if not store.meta.claim_if_due(meta.LAST_AUTO_RECONCILE, interval, now):
            return False
        store.requests.ask(RECONCILE, AUTO, scope=store.meta.get(meta.RECONCILE_SCOPE) or "recent",
                           keep_waiting=True)
    return True
