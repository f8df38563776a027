"""Auto-reconcile: every invocation asks "is a reconcile due?", at most one claims it per interval.

The check is two indexed reads of the metadata table, cheap enough for a hook. Whoever wins the claim
only leaves a request behind; the drainer (never a hook's foreground) runs the reconcile itself.
"""

from __future__ import annotations

import time

from sync_queue.meta import claim_if_due, get_meta, is_due, set_meta
from sync_queue.txn import write_txn

DEFAULT_INTERVAL_S = 3600.0
REQUEST_KEY = "reconcile_requested"
CLAIM_KEY = "last_auto_reconcile"


def note_invocation(conn, now: float | None = None) -> bool:
    """Requests a reconcile when one is due; True when this invocation claimed it."""
    interval = float(get_meta(conn, "reconcile_interval_s") or DEFAULT_INTERVAL_S)
    if interval <= 0:
        return False
    now = time.time() if now is None else now
    if not is_due(conn, CLAIM_KEY, interval, now):
        return False  # the common case: one read, no write lock
    with write_txn(conn):  # the claim and the request commit together: a crash between them loses neither
        if not claim_if_due(conn, CLAIM_KEY, interval, now):
            return False
        set_meta(conn, REQUEST_KEY, get_meta(conn, "reconcile_scope") or "recent")
    return True


def take_request(conn) -> str | None:
    """The drainer takes the pending request (scope), if any, so it runs once."""
    scope = get_meta(conn, REQUEST_KEY)
    if scope:
        set_meta(conn, REQUEST_KEY, "")
    return scope or None
