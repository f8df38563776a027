"""One batch, planned and pushed by the production worker code against in-memory Stash and Plex."""

from __future__ import annotations

import sqlite3
import time

import pytest

from mapping.library import SUMMARY_REPROBE_S, stored_summary_limit
from plex.errors import PlexDown, PlexUnauthorized
from sync_queue import meta
from sync_queue.dedup import EnqueueRequest
from sync_queue.vocab import ErrorClass, SceneStatus
from tests.fakes import FakePlex, FakeStash, in_plex, make_context, matched, scene
from worker.batch import Tally, run_batch


@pytest.fixture
def world(tmp_path):
    stash, plex = matched(scene(1, tags=("A", "B", "C")), scene(2), scene(3))
    ctx = make_context(tmp_path, stash, plex)
    yield ctx, stash, plex
    ctx.close()


def sync(ctx, *requests: EnqueueRequest) -> Tally:
    ctx.store.queue.enqueue(requests)
    tally = Tally()
    run_batch(ctx, ctx.store.queue.claim(100), tally)
    return tally


def edits(scene_ids) -> list[EnqueueRequest]:
    return [EnqueueRequest(i, "edited") for i in scene_ids]


def state(ctx, scene_id):
    return ctx.store.scenes.get_many([scene_id])[scene_id]


def test_first_sync_writes_every_field_locked_and_the_poster_once(world) -> None:
    ctx, _, plex = world
    tally = sync(ctx, *edits([1, 2, 3]))
    assert tally.counts == {SceneStatus.SYNCED: 3} and tally.done == 3
    item = plex.items[101]
    assert item.fields["title"] == "Scene 1" and item.fields["genres"] == ["A", "B", "C"]
    assert item.fields["actors"] == ["Ava"] and item.fields["collections"] == ["Studio"]
    assert item.fields["originallyAvailableAt"] == "2024-01-02" and item.fields["userRating"] == 8.0
    assert {"title", "summary", "genre", "actor", "collection"} <= item.locked
    assert sorted(plex.writes()) == sorted([("edit", k) for k in (101, 102, 103)] + [("poster", k) for k in
                                                                                       (101, 102, 103)])
    assert state(ctx, 1).status == SceneStatus.SYNCED and state(ctx, 1).plex_keys == [101]
    assert state(ctx, 1).poster_sha1 == item.posters[0]
    assert state(ctx, 1).our_tags == {"actors": ["Ava"], "collections": ["Studio"], "genres": ["A", "B", "C"]}


def test_unchanged_scene_writes_nothing(world) -> None:
    ctx, _, plex = world
    sync(ctx, *edits([1, 2, 3]))
    plex.requests.clear()
    tally = sync(ctx, *edits([1, 2, 3]))
    assert tally.counts == {SceneStatus.UNCHANGED: 3}
    assert plex.writes() == []


def test_a_change_sends_only_that_field_and_an_unchanged_cover_is_not_resent(world) -> None:
    ctx, stash, plex = world
    sync(ctx, *edits([1]))
    stash.scenes[1].update(title="Renamed", updated_at="2024-05-02T08:00:00Z")
    plex.requests.clear()
    sync(ctx, *edits([1]))
    assert plex.writes() == [("edit", 101)] and plex.items[101].fields["title"] == "Renamed"
    stash.covers[1] = b"a new cover"
    stash.scenes[1]["updated_at"] = "2024-05-03T08:00:00Z"
    plex.requests.clear()
    sync(ctx, *edits([1]))
    assert plex.writes() == [("poster", 101)]


def test_the_users_own_collection_survives(world) -> None:
    ctx, stash, plex = world
    plex.items[101].fields["collections"] = ["My Favourites"]
    sync(ctx, *edits([1]))
    assert plex.items[101].fields["collections"] == ["My Favourites", "Studio"]
    stash.scenes[1].update(studio={"id": "2", "name": "Other"}, updated_at="2024-05-02T08:00:00Z")
    sync(ctx, *edits([1]))
    assert plex.items[101].fields["collections"] == ["My Favourites", "Other"]


def test_a_collection_added_in_plex_after_the_listing_survives(world) -> None:
    """The stored listing showed no collection, but the user added one since: the item is read, not trusted."""
    ctx, stash, plex = world
    stash.scenes[1]["studio"] = None
    sync(ctx, *edits([1]))
    assert plex.items[101].fields["collections"] == [] and ("read", 101) not in plex.requests  # listing was fresh
    plex.items[101].fields["collections"] = ["Added Later"]
    stash.scenes[1].update(studio={"id": "2", "name": "Other"}, updated_at="2024-05-02T08:00:00Z")
    sync(ctx, *edits([1]))
    assert plex.items[101].fields["collections"] == ["Added Later", "Other"]


def test_drift_pushes_every_field_again_but_not_the_poster(world) -> None:
    ctx, _, plex = world
    sync(ctx, *edits([1]))
    plex.items[101].fields["title"] = "Changed in Plex"
    plex.requests.clear()
    sync(ctx, EnqueueRequest(1, "drift", full_push=True))
    assert plex.writes() == [("edit", 101)] and plex.items[101].fields["title"] == "Scene 1"


def test_preserve_plex_edits_keeps_a_field_edited_in_plex(tmp_path) -> None:
    stash, plex = FakeStash([scene(1)]), FakePlex()
    plex.add(101, "/data/scene-1.mp4")
    ctx = make_context(tmp_path, stash, plex, preserve_plex_edits=True)
    sync(ctx, *edits([1]))
    plex.items[101].fields["title"] = "Mine"
    stash.scenes[1].update(details="New details", updated_at="2024-05-02T08:00:00Z")
    sync(ctx, *edits([1]))
    assert plex.items[101].fields["title"] == "Mine" and plex.items[101].fields["summary"] == "New details"
    ctx.close()


def test_scene_absent_from_plex_is_retried_later_then_found_by_a_scan_lookup(world) -> None:
    ctx, stash, plex = world
    stash.scenes[4] = scene(4)
    tally = sync(ctx, *edits([4]))
    assert tally.counts == {SceneStatus.NOT_FOUND: 1}
    absent = state(ctx, 4)
    assert (absent.status, absent.error_class, absent.attempts) == (SceneStatus.RETRYING, ErrorClass.NOT_FOUND, 1)
    assert absent.next_attempt_at > 0 and plex.writes() == []
    plex.add(104, "/data/scene-4.mp4")  # Plex scanned it after our index was built
    tally = sync(ctx, EnqueueRequest(4, "scanned", file_lookup=True))
    assert tally.counts == {SceneStatus.SYNCED: 1} and ("file_lookup", None) in plex.requests


def test_scene_deleted_from_stash_is_dead_lettered(world) -> None:
    ctx, _, _ = world
    tally = sync(ctx, *edits([99]))
    assert tally.counts == {SceneStatus.DEAD: 1}
    (letter,) = ctx.store.dead_letters.newest()
    assert (letter.scene_id, letter.error_class) == (99, "permanent")
    assert letter.message == "Scene 99 does not exist in Stash"


def test_plex_down_at_batch_start_releases_every_job(world) -> None:
    ctx, _, plex = world
    plex.down = True
    ctx.store.queue.enqueue(edits([1, 2]))
    with pytest.raises(PlexDown):
        run_batch(ctx, ctx.store.queue.claim(10), Tally())
    assert ctx.store.queue.pending_count() == 2 and ctx.store.queue.claimed_count() == 0


def test_a_token_refused_mid_batch_keeps_the_jobs_for_later(world) -> None:
    ctx, _, plex = world
    ctx.library()  # connected and indexed before the token is revoked
    plex.unauthorized = True
    ctx.store.queue.enqueue(edits([1, 2, 3]))
    with pytest.raises(PlexUnauthorized):
        run_batch(ctx, ctx.store.queue.claim(10), Tally())
    assert ctx.store.queue.pending_count() == 3 and ctx.store.dead_letters.count() == 0


def test_an_outage_mid_batch_opens_the_breaker_and_schedules_without_spending_attempts(tmp_path) -> None:
    stash, plex = FakeStash([scene(i) for i in range(1, 7)]), FakePlex()
    for i in range(1, 7):
        plex.add(100 + i, f"/data/scene-{i}.mp4")
    ctx = make_context(tmp_path, stash, plex, plex_parallelism=1)
    ctx.library()
    plex.down = True
    tally = sync(ctx, *edits(range(1, 7)))
    assert tally.counts == {SceneStatus.RETRYING: 6} and ctx.breaker.is_open
    assert all(state(ctx, i).attempts == 0 and state(ctx, i).error_class == ErrorClass.PLEX_DOWN for i in range(1, 7))
    assert len([r for r in plex.requests if r[0] == "edit"]) == ctx.breaker.threshold  # then it stops sending
    ctx.close()


def test_an_item_gone_from_plex_is_retried_against_a_fresh_index(world) -> None:
    ctx, stash, plex = world
    sync(ctx, *edits([1]))
    del plex.items[101]
    plex.add(201, "/data/scene-1.mp4")  # re-scanned under a new key, scannedAt not yet moved
    stash.scenes[1].update(title="Renamed", updated_at="2024-05-02T08:00:00Z")
    tally = sync(ctx, *edits([1]))
    assert tally.counts == {SceneStatus.RETRYING: 1} and state(ctx, 1).error_class == ErrorClass.TRANSIENT
    assert ctx.store.index.scanned_stamp(1) == ""  # marked stale: the next batch re-reads the listing
    assert ctx.store.queue.release_due_retries(now=state(ctx, 1).next_attempt_at) == 1
    tally = Tally()
    run_batch(ctx, ctx.store.queue.claim(10), tally)
    assert tally.counts == {SceneStatus.SYNCED: 1} and plex.items[201].fields["title"] == "Renamed"


def test_preserved_edits_are_not_confused_by_plex_recasing_tags(tmp_path) -> None:
    """PMS shows a tag in the case it first met it: genres read back as "OUTDOOR" are still ours, so a tag
    added in Stash reaches Plex even with preserve_plex_edits on; a genre list really edited in Plex is kept."""
    stash, plex = FakeStash([scene(1, tags=("outdoor", "beach"))]), FakePlex()
    plex.add(101, "/data/scene-1.mp4")
    ctx = make_context(tmp_path, stash, plex, preserve_plex_edits=True)
    sync(ctx, *edits([1]))
    plex.items[101].fields["genres"] = ["OUTDOOR", "Beach"]
    stash.scenes[1].update(tags=[{"id": "1", "name": n} for n in ("outdoor", "beach", "night")],
                           updated_at="2024-05-02T08:00:00Z")
    sync(ctx, *edits([1]))
    assert plex.items[101].fields["genres"] == ["outdoor", "beach", "night"]
    plex.items[101].fields["genres"] = ["Chosen in Plex"]
    stash.scenes[1].update(tags=[{"id": "1", "name": "other"}], updated_at="2024-05-03T08:00:00Z")
    sync(ctx, *edits([1]))
    assert plex.items[101].fields["genres"] == ["Chosen in Plex"]
    ctx.close()


def test_scenes_out_of_scope_get_no_request_and_come_back_by_their_change(tmp_path) -> None:
    stash, plex = matched(scene(1, organized=False), scene(2, tags=("Private", "Beach")), scene(3))
    ctx = make_context(tmp_path, stash, plex, only_organized=True, skip_tags="private, other")
    tally = sync(ctx, *edits([1, 2, 3]))
    assert tally.counts == {SceneStatus.OUT_OF_SCOPE: 2, SceneStatus.SYNCED: 1}
    assert "2 out of scope" in tally.summary()
    assert {key for _, key in plex.requests if key} == {103}  # the others' items received nothing
    assert (state(ctx, 1).status, state(ctx, 1).last_error) == (SceneStatus.OUT_OF_SCOPE, "not organized")
    assert state(ctx, 2).last_error == "skip tag Private"
    from reconciliation.engine import run_reconcile

    report = run_reconcile(ctx.settings, ctx.store, ctx.stash, ctx.library(reread=True), "all")
    assert report.queued == 0  # settled as they are: not re-queued until they change
    stash.scenes[1].update(organized=True, updated_at="2024-05-02T08:00:00Z")  # marked organized: its hook
    tally = sync(ctx, *edits([1]))
    assert tally.counts == {SceneStatus.SYNCED: 1} and plex.items[101].fields["title"] == "Scene 1"
    ctx.close()


def test_director_content_rating_and_parent_studio(tmp_path) -> None:
    stash = FakeStash([scene(1, director="J. Doe")])
    stash.scenes[1]["studio"] = {"id": "1", "name": "Studio", "parent_studio": {"name": "Network"}}
    plex = FakePlex()
    plex.add(101, "/data/scene-1.mp4", collections=["Mine"])
    ctx = make_context(tmp_path, stash, plex, sync_parent_studio=True, content_rating="XXX")
    sync(ctx, *edits([1]))
    fields = plex.items[101].fields
    assert fields["directors"] == ["J. Doe"] and fields["contentRating"] == "XXX"
    assert fields["collections"] == ["Mine", "Studio", "Network"]
    plex.requests.clear()
    assert sync(ctx, *edits([1])).counts == {SceneStatus.UNCHANGED: 1} and plex.writes() == []
    ctx.close()


def test_switching_tags_as_moves_the_tags_and_keeps_the_users_labels(tmp_path) -> None:
    stash = FakeStash([scene(1, tags=("A", "B"))])
    plex = FakePlex()
    item = plex.add(101, "/data/scene-1.mp4", labels=["Kids OK"], genres=["Agent"])

    def sync_with(tags_as: str) -> Tally:
        ctx = make_context(tmp_path, stash, plex, tags_as=tags_as)
        try:
            return sync(ctx, *edits([1]))
        finally:
            ctx.close()

    sync_with("both")
    assert item.fields["genres"] == ["A", "B"] and item.fields["labels"] == ["Kids OK", "A", "B"]
    sync_with("genres")
    assert item.fields["genres"] == ["A", "B"] and item.fields["labels"] == ["Kids OK"]
    sync_with("labels")
    assert item.fields["genres"] == [] and item.fields["labels"] == ["Kids OK", "A", "B"]
    plex.requests.clear()
    assert sync_with("labels").counts == {SceneStatus.UNCHANGED: 1} and plex.writes() == []


def test_actor_photos_sent_with_the_key_but_stored_without(tmp_path) -> None:
    stash = FakeStash([scene(1, performers=("Ava", "Bo"))])
    stash.scenes[1]["performers"][1]["image_path"] += "&default=true"  # Stash's placeholder: no photo
    plex = FakePlex()
    item = plex.add(101, "/data/scene-1.mp4")
    ctx = make_context(tmp_path, stash, plex, sync_actor_photos=True)
    sync(ctx, *edits([1]))
    assert item.fields["actors"] == ["Ava", "Bo"]
    assert item.photos == {"Ava": "http://stash/performer/0/image?t=1&apikey=fake-api-key"}
    assert "fake-api-key" not in repr(ctx.store.scenes.get_many([1]))
    stash.scenes[1]["performers"][0]["image_path"] = "http://stash/performer/0/image?t=2"  # a new image
    stash.scenes[1]["updated_at"] = "2024-05-02T08:00:00Z"
    plex.requests.clear()
    assert sync(ctx, *edits([1])).counts == {SceneStatus.SYNCED: 1}
    assert item.photos["Ava"].startswith("http://stash/performer/0/image?t=2&") and len(plex.writes()) == 1
    ctx.close()


def test_any_exception_in_a_pool_thread_releases_the_batchs_claimed_jobs(world) -> None:
    """The reproduced bug: an exception that is no PlexError (then: the transport's private one) left the pool
    map outside the block that releases claimed jobs, and the batch stayed claimed until a takeover."""
    ctx, _, plex = world
    ctx.library()

    def broken(rating_key: int, section_id: int, params: dict) -> None:
        raise RuntimeError("a bug below push_scene")

    plex.edit = broken
    ctx.store.queue.enqueue(edits([1, 2, 3]))
    with pytest.raises(RuntimeError, match="a bug below push_scene"):
        run_batch(ctx, ctx.store.queue.claim(10), Tally())
    assert ctx.store.queue.claimed_count() == 0 and ctx.store.queue.pending_count() == 3


LONG = "Ein längerer Text — 長い説明 🎬 " * 200  # about 30 KB encoded


def test_a_long_summary_goes_in_the_items_one_put(tmp_path) -> None:
    stash, plex = matched(scene(1, details=LONG), scene(2))
    ctx = make_context(tmp_path, stash, plex)
    try:
        sync(ctx, *edits([1, 2]))
        assert sorted(r for r in plex.writes() if r[0] == "edit") == [("edit", 101), ("edit", 102)]
        assert plex.items[101].fields["summary"] == LONG and plex.items[101].fields["title"] == "Scene 1"
        assert ctx.store.meta.get(meta.PLEX_SUMMARY_BYTES) is None
    finally:
        ctx.close()


@pytest.mark.parametrize("cut", [False, True], ids=["414", "connection cut while sending"])
def test_a_refused_request_line_cuts_the_summary_once_and_the_limit_is_kept(tmp_path, cut) -> None:
    stash, plex = matched(*(scene(i, details=LONG[i:]) for i in (1, 2, 3)))
    plex.max_query, plex.cut_long = 8000, cut
    ctx = make_context(tmp_path, stash, plex, plex_parallelism=1)
    try:
        sync(ctx, *edits([1]))
        refused = len([r for r in plex.writes() if r[0] == "edit"]) - 1
        assert refused >= 1 and LONG[1:].startswith(plex.items[101].fields["summary"])
        assert ctx.store.scenes.get_many([1])[1].status == SceneStatus.SYNCED and not ctx.breaker.is_open
        assert plex.items[101].fields["title"] == "Scene 1" and plex.items[101].fields["summary"]
        limit = int(ctx.store.meta.get(meta.PLEX_SUMMARY_BYTES))
        assert limit <= 8000 and float(ctx.store.meta.get(meta.PLEX_SUMMARY_BYTES_AT)) > 0
        plex.requests.clear()
        sync(ctx, *edits([2, 3]))  # learned: one PUT each, no refusal
        assert sorted(plex.writes()) == [("edit", 102), ("edit", 103), ("poster", 102), ("poster", 103)]
        assert LONG[2:].startswith(plex.items[102].fields["summary"])
        plex.requests.clear()
        sync(ctx, *edits([1, 2, 3]))  # what was sent is what is stored: nothing to push again
        assert plex.writes() == []
    finally:
        ctx.close()


def test_a_line_the_other_fields_fill_is_split_and_the_summary_kept_whole(tmp_path) -> None:
    tags = tuple(f"Tag number {n} with a long name" for n in range(100))  # 6 KB of the line
    summary = "A summary that fits alone. " * 60  # 2 KB, less than the tags
    stash, plex = matched(scene(1, details=summary, tags=tags))
    plex.max_query = 8000
    ctx = make_context(tmp_path, stash, plex)
    try:
        sync(ctx, *edits([1]))
        item = plex.items[101]
        assert item.fields["summary"] == summary and item.fields["genres"] == list(tags)
        assert [r for r in plex.writes() if r[0] == "edit"] == [("edit", 101)] * 3  # refused, then split
        assert ctx.store.meta.get(meta.PLEX_SUMMARY_BYTES) is None  # nothing learned about summaries
    finally:
        ctx.close()


def test_a_learned_limit_is_probed_again_a_day_later(tmp_path) -> None:
    stash, plex = matched(scene(1, details=LONG))
    ctx = make_context(tmp_path, stash, plex)
    try:
        with ctx.store.transaction():
            ctx.store.meta.set(meta.PLEX_SUMMARY_BYTES, "3000")
            ctx.store.meta.set(meta.PLEX_SUMMARY_BYTES_AT, repr(time.time() - SUMMARY_REPROBE_S - 1))
        assert stored_summary_limit(ctx.store) is None
        sync(ctx, *edits([1]))  # the proxy is gone: the whole summary is taken in the one PUT
        assert plex.items[101].fields["summary"] == LONG
        assert [r for r in plex.writes() if r[0] == "edit"] == [("edit", 101)]
    finally:
        ctx.close()


def test_each_outcome_is_committed_as_its_scene_finishes_not_with_the_batch(tmp_path) -> None:
    """A crash must repeat only the scenes in the air: while the last scene's PUT is still in Plex, the scenes
    that finished before it are settled in the database already (read through another connection)."""
    stash, plex = in_plex(3)
    ctx = make_context(tmp_path, stash, plex, plex_parallelism=1)
    settled_before_last: list[int] = []
    edit = plex.edit

    def last_waits_for_the_others(rating_key: int, section_id: int, params: dict) -> None:
        if rating_key == 103:
            with sqlite3.connect(ctx.store.path) as conn:
                for _ in range(500):  # bounded poll: the worker thread commits while this request is in the air
                    done = [row[0] for row in conn.execute(
                        "SELECT scene_id FROM scene_state WHERE status = 'synced' ORDER BY scene_id")]
                    if done == [1, 2]:
                        break
                    time.sleep(0.02)
            settled_before_last.extend(done)
        edit(rating_key, section_id, params)

    plex.edit = last_waits_for_the_others
    try:
        tally = sync(ctx, *edits([1, 2, 3]))
        assert tally.counts == {SceneStatus.SYNCED: 3}
        assert settled_before_last == [1, 2]
        assert ctx.store.queue.pending_count() == 0
    finally:
        ctx.close()


def test_a_long_edit_during_an_outage_is_an_outage_not_a_refused_line(tmp_path) -> None:
    stash, plex = matched(scene(1, details=LONG))
    ctx = make_context(tmp_path, stash, plex)
    try:
        ctx.library()
        plex.down = True  # the ping after the cut fails too
        sync(ctx, *edits([1]))
        assert ctx.store.meta.get(meta.PLEX_SUMMARY_BYTES) is None  # nothing learned from an outage
        assert state(ctx, 1).status == SceneStatus.RETRYING and state(ctx, 1).error_class == ErrorClass.PLEX_DOWN
        assert state(ctx, 1).attempts == 0  # waits for Plex, spending nothing
    finally:
        ctx.close()


def test_an_unchanged_scene_is_settled_without_the_pool_and_without_a_request(world) -> None:
    ctx, _, plex = world
    sync(ctx, *edits([1, 2, 3]))
    plex.requests.clear()
    plex.down = True  # nothing needs Plex: an outage changes nothing for these
    tally = sync(ctx, *edits([1, 2, 3]))
    assert tally.counts == {SceneStatus.UNCHANGED: 3} and plex.requests == [] and not ctx.breaker.is_open
    assert state(ctx, 1).plex_keys == [101] and state(ctx, 1).poster_sha1 == plex.items[101].posters[0]
