"""SyncStore, the method-style facade over the package (ARCHITECTURE.md)."""

from __future__ import annotations

import os

from sync_queue import EnqueueRequest, EnqueueResult, PlexItemRecord, PlexPart, SyncOutcome, SyncStore
from sync_queue.state import get_state


def test_sync_store_round_trip(db_path) -> None:
    with SyncStore.open(db_path) as store:
        assert store.enqueue([EnqueueRequest(1, "edited", True), EnqueueRequest(1, "edited", True)]) == EnqueueResult(
            queued=1, coalesced=1
        )
        assert store.acquire_lease("me", ttl=60)
        assert store.lease_holder().pid == os.getpid()
        assert store.renew_lease("me", ttl=60) and not store.renew_lease("you", ttl=60)
        (job,) = store.claim(5)
        store.record_fetched(1, "2024-01-01T00:00:00Z")
        store.complete(job, SyncOutcome("synced"))
        assert get_state(store.conn, 1).last_synced_updated_at == "2024-01-01T00:00:00Z"
        store.release_lease("me")
        assert store.lease_holder() is None
        store.set_meta("k", "v")
        assert store.get_meta("k") == "v" and store.claim_if_due("due", 10, now=5.0)
        assert store.replace_plex_items(1, [PlexItemRecord(3, 1, [("/m/a.mp4", 1)], {})]) == 1
        assert store.plex_items_by_path(["/m/a.mp4"]) == {"/m/a.mp4": [PlexPart(3, "/m/a.mp4", 1)]}
        assert store.plex_items_by_basename(["a.mp4"]) == {"a.mp4": [PlexPart(3, "/m/a.mp4", 1)]}
        store.enqueue([EnqueueRequest(2, "edited", True)])
        (job,) = store.claim(5)
        assert store.retry_later(job, "transient", "x", 0.0) == 1
        store.enqueue([EnqueueRequest(3, "edited", True)])
        (job,) = store.claim(5)
        store.dead_letter(job, "permanent", "bad", attempts=1)
        assert get_state(store.conn, 3).status == "dead"
