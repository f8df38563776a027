"""A watch-state pass through the production code against in-memory Stash and Plex (`tests.fakes`)."""

from __future__ import annotations

import pytest

from plex.errors import PlexDown
from stash.errors import StashAnswerLost, StashError
from sync_queue.dedup import EnqueueRequest
from tests.fakes import FakePlex, FakeStash, in_plex, make_context, scene
from watch.sync import run_watch_sync
from worker.batch import Tally, run_batch

PLAYED_AT = "2026-11-30T20:00:00Z"


@pytest.fixture
def world(tmp_path):
    """Six scenes synced to Plex items 101..106; scene 7 is in Stash only."""
    stash, plex = in_plex(6)
    stash.scenes[7] = scene(7)
    ctx = make_context(tmp_path, stash, plex, sync_watch_state=True)
    ctx.store.queue.enqueue([EnqueueRequest(i, "edited") for i in range(1, 8)])
    run_batch(ctx, ctx.store.queue.claim(100), Tally())
    yield ctx, stash, plex
    ctx.close()


def watch_pass(ctx):
    library = ctx.library()
    library.refresh(force=True)  # what the drainer does first: the listings carry Plex's watch state
    return run_watch_sync(ctx.store, ctx.stash, library.api)


def test_both_ways_then_nothing_then_exactly_one_more(world) -> None:
    ctx, stash, plex = world
    plex.items[101].views, plex.items[101].last_viewed_at = 2, 1_764_000_000
    plex.items[102].offset_ms, plex.items[102].last_viewed_at = 90_000, 1_764_000_000
    stash.scenes[3]["play_dates"] = [PLAYED_AT] * 3
    stash.scenes[4]["resume_time"] = 33.0
    stash.scenes[7]["play_dates"] = [PLAYED_AT]  # not in Plex: takes no part
    report = watch_pass(ctx)
    assert (report.plays_to_stash, report.resumes_to_stash, report.plays_to_plex, report.resumes_to_plex) == (
        2, 1, 3, 1)
    assert len(stash.scenes[1]["play_dates"]) == 2 and stash.scenes[1]["play_dates"][0].startswith("2025-11-24")
    assert stash.scenes[2]["resume_time"] == 90.0
    assert plex.items[103].views == 3 and plex.items[104].offset_ms == 33_000
    assert plex.items[106].views == 0 and report.scenes == 4

    plex.requests.clear()
    again = watch_pass(ctx)
    assert (again.plays_to_stash, again.plays_to_plex, again.resumes_to_stash, again.resumes_to_plex) == (0, 0, 0, 0)
    assert plex.writes() == []

    plex.items[105].views = 1  # watched once more in Plex
    stash.scenes[3]["play_dates"].append(PLAYED_AT)  # and played once more in Stash
    third = watch_pass(ctx)
    assert (third.plays_to_stash, third.plays_to_plex) == (1, 1)
    assert len(stash.scenes[5]["play_dates"]) == 1 and plex.items[103].views == 4


def test_plex_down_mid_pass_leaves_the_rest_for_next_time_and_counts_nothing_twice(world) -> None:
    ctx, stash, plex = world
    for scene_id in (1, 2, 3):
        stash.scenes[scene_id]["play_dates"] = [PLAYED_AT]
    library = ctx.library()
    library.refresh(force=True)
    calls = {"n": 0}
    real = plex.mark_played

    def flaky(rating_key: int, views_before: int) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise PlexDown("Plex is not reachable (ConnectionError): refused")
        real(rating_key, views_before)

    plex.mark_played = flaky
    with pytest.raises(PlexDown):
        run_watch_sync(ctx.store, ctx.stash, library.api)
    plex.mark_played = real
    assert [plex.items[k].views for k in (101, 102, 103)] == [1, 0, 0]
    from sync_queue import meta

    last = ctx.store.meta.get(meta.WATCH_LAST_MOVE)
    assert "moved 0 plays and 0 resume points to Stash, 1 play and 0 resume points to Plex; stopped:" in last
    watch_pass(ctx)
    assert [plex.items[k].views for k in (101, 102, 103)] == [1, 1, 1]
    assert all(len(stash.scenes[i]["play_dates"]) == 1 for i in (1, 2, 3))


def test_a_move_interrupted_by_a_dead_process_is_taken_as_found(world) -> None:
    """Rows left moving (the process died between the expectation and the outcome) are rebased, never replayed:
    negative control first — the same state without the mark moves the play."""
    ctx, stash, plex = world
    stash.scenes[1]["play_dates"] = [PLAYED_AT]
    from sync_queue.watch import WatchBaseline

    ctx.store.watch.begin({1: WatchBaseline(1, 0.0, 1, 0)})
    library = ctx.library()
    library.refresh(force=True)
    dry = run_watch_sync(ctx.store, ctx.stash, library.api, dry_run=True)
    assert dry.interrupted == 1 and ctx.store.watch.interrupted() == {1}  # a dry run writes nothing
    report = watch_pass(ctx)
    assert report.interrupted == 1 and plex.items[101].views == 0 and report.plays_to_plex == 0
    stash.scenes[2]["play_dates"] = [PLAYED_AT]
    assert watch_pass(ctx).plays_to_plex == 1 and plex.items[102].views == 1


def test_a_scene_on_two_plex_items_counts_the_plays_of_both_once(tmp_path) -> None:
    """Two files of one scene are two Plex items: their views add up in Stash, each counted once; Stash's plays go
    to the first item."""
    two_files = scene(1)
    two_files["files"].append({"path": "/data/scene-1-part2.mp4", "size": 2000, "duration": 60.0})
    stash = FakeStash([two_files])
    plex = FakePlex()
    plex.add(101, "/data/scene-1.mp4")
    plex.add(102, "/data/scene-1-part2.mp4", size=2000)
    ctx = make_context(tmp_path, stash, plex, sync_watch_state=True)
    ctx.store.queue.enqueue([EnqueueRequest(1, "edited")])
    run_batch(ctx, ctx.store.queue.claim(100), Tally())
    assert sorted(ctx.store.scenes.get_many([1])[1].plex_keys) == [101, 102]
    plex.items[101].views, plex.items[102].views = 2, 1
    assert watch_pass(ctx).plays_to_stash == 3 and len(stash.scenes[1]["play_dates"]) == 3
    plex.items[102].views = 2
    stash.scenes[1]["play_dates"].append(PLAYED_AT)
    report = watch_pass(ctx)
    assert (report.plays_to_stash, report.plays_to_plex) == (1, 1)
    assert (plex.items[101].views, plex.items[102].views) == (3, 2) and len(stash.scenes[1]["play_dates"]) == 5
    ctx.close()


def test_a_stash_write_refused_leaves_the_scenes_plex_moves_going(world) -> None:
    """Stash refusing the plays (an old server, a bad id) is logged; the scene's own play still reaches Plex, and
    the refused plays stay news for the next pass."""
    ctx, stash, plex = world
    plex.items[101].views, plex.items[101].last_viewed_at = 1, 1_764_000_000
    stash.scenes[1]["play_dates"] = [PLAYED_AT]
    assert watch_pass(ctx).plays_to_plex == 0  # in step: the baseline
    plex.items[101].views = 2
    stash.scenes[1]["play_dates"].append(PLAYED_AT)
    real = stash.add_plays

    def refuse(scene_id, times):
        raise StashError("Stash GraphQL error: refused")

    stash.add_plays = refuse
    report = watch_pass(ctx)
    assert (report.plays_to_stash, report.plays_to_plex) == (0, 1)
    assert plex.items[101].views == 3
    stash.add_plays = real
    report = watch_pass(ctx)
    assert (report.plays_to_stash, report.plays_to_plex) == (1, 0)
    assert len(stash.scenes[1]["play_dates"]) == 3 and plex.items[101].views == 3


def test_a_play_stash_took_but_whose_answer_was_lost_does_not_come_back_to_plex(world) -> None:
    """Stash applied the play and the answer was lost (StashAnswerLost): the mutation is not resent, the scene is
    left moving and taken as found by the next pass, so the play Stash now has is not sent back to Plex as news."""
    ctx, stash, plex = world
    plex.items[101].views, plex.items[101].last_viewed_at = 1, 1_764_000_000
    real = stash.add_plays

    def applied_then_lost(scene_id: int, times: list) -> None:
        real(scene_id, times)
        raise StashAnswerLost("Stash at http://stash did not answer within 30 s.")

    stash.add_plays = applied_then_lost
    with pytest.raises(StashAnswerLost):
        watch_pass(ctx)
    stash.add_plays = real
    assert len(stash.scenes[1]["play_dates"]) == 1 and 1 in ctx.store.watch.interrupted()
    plex.requests.clear()
    again = watch_pass(ctx)
    assert (again.plays_to_stash, again.plays_to_plex) == (0, 0) and plex.items[101].views == 1
    assert len(stash.scenes[1]["play_dates"]) == 1 and plex.writes() == []
