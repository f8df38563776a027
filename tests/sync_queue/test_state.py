"""Scene state accessors, timestamps, entity requests."""

from __future__ import annotations

import pytest

from sync_queue.dedup import EnqueueRequest
from sync_queue.queue import SyncOutcome
from sync_queue.timestamps import parse_instant, try_parse_instant

from .conftest import state_of


def test_outcome_is_recorded(store, conn) -> None:
    store.queue.enqueue([EnqueueRequest(s, "edited", True) for s in (1, 2, 3)])
    one, two, three = store.queue.claim(3)
    store.queue.record_fetched([(1, "2024-01-01T00:00:00Z")])
    store.queue.complete(one, SyncOutcome("synced", content_hash="c", field_hashes={"title": "t"}, plex_keys=[10, 11],
                                 cover_pending=True))
    store.queue.complete(two, SyncOutcome("not_found", updated_at="2024-01-01T00:00:00Z", message="no item"))
    state = state_of(store, 1)
    assert state.last_synced_updated_at == "2024-01-01T00:00:00Z"  # what was fetched, not "now"
    assert (state.content_hash, state.field_hashes, state.plex_keys) == ("c", {"title": "t"}, [10, 11])
    assert state.synced_at is not None and state.cover_pending
    missing = state_of(store, 2)
    assert (missing.status, missing.last_synced_updated_at, missing.last_error) == ("not_found", None, "no item")
    assert store.scenes.status_counts() == {"synced": 1, "not_found": 1, "queued": 1}
    assert sorted(store.scenes.get_many([3, 1, 99])) == [1, 3]
    assert state_of(store, 99) is None
    assert three.scene_id == 3


def test_older_job_cannot_roll_the_synced_point_back(store, conn) -> None:
    store.queue.enqueue([EnqueueRequest(1, "edited", True)])
    (old,) = store.queue.claim(1)
    store.queue.enqueue([EnqueueRequest(1, "edited", True)])
    (new,) = store.queue.claim(1)
    store.queue.complete(new, SyncOutcome("synced", updated_at="2024-01-02T00:00:00Z", content_hash="new"))
    store.queue.complete(old, SyncOutcome("synced", updated_at="2024-01-01T00:00:00Z", content_hash="old"))
    state = state_of(store, 1)
    assert (state.last_synced_updated_at, state.content_hash) == ("2024-01-02T00:00:00Z", "new")


def test_iter_all_pages_through_everything(store) -> None:
    store.queue.enqueue([EnqueueRequest(s, "sync_all", True) for s in range(1, 2501)])
    assert [s.scene_id for s in store.scenes.iter_all(page_size=300)] == list(range(1, 2501))


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2024-01-01T00:00:00Z", 1704067200.0),
        ("2024-01-01T02:00:00+02:00", 1704067200.0),
        ("2023-12-31T19:00:00-05:00", 1704067200.0),
        ("2024-01-01T00:00:00.123456789Z", 1704067200.123456),
        ("2024-01-01 00:00:00", 1704067200.0),
    ],
)
def test_parse_instant(text: str, expected: float) -> None:
    assert parse_instant(text) == pytest.approx(expected, abs=1e-6)


def test_unreadable_timestamps() -> None:
    with pytest.raises(ValueError, match="RFC 3339"):
        parse_instant("2024-13")
    assert try_parse_instant(None) is None and try_parse_instant("soon") is None


def test_entity_requests_coalesce_and_survive_a_newer_rename(store) -> None:
    entities = store.entities
    entities.add("tag", 5, now=1.0)
    entities.add("tag", 5, now=2.0)
    entities.add("performer", 5, now=3.0)
    first = entities.pending()
    assert [(r.kind, r.entity_id, r.requested_at) for r in first] == [("tag", 5, 2.0), ("performer", 5, 3.0)]
    entities.add("tag", 5, now=4.0)  # renamed again while the drainer expands it
    assert not entities.done(first[0])
    assert entities.done(first[1])
    assert [(r.kind, r.requested_at) for r in entities.pending()] == [("tag", 4.0)]
    with pytest.raises(ValueError, match="unknown entity kind"):
        entities.add("gallery", 1)
