"""What moves for one scene: table tests of the pure decision (the rule in `watch.decide`'s docstring) and of what
a cut-short move leaves as baseline."""

from __future__ import annotations

import pytest

from sync_queue.watch import WatchBaseline
from watch.decide import Done, PlexWatch, StashWatch, decide, settled

RK = 501
DUR = 1000.0  # the scene's duration, s
NOW, LAST_PASS = 10_000.0, 9_000.0


def stash(plays=0, last=None, resume=0.0, watched=0.0) -> StashWatch:
    return StashWatch(plays, last, resume, watched, DUR)


def plex(plays=0, last=None, offset=0) -> PlexWatch:
    return PlexWatch(plays, last, offset, RK)


def base(stash_plays=0, resume=0.0, plex_plays=0, offset=0, watched=0.0, carry=0.0, seen_at=(0.0, 0.0)
         ) -> WatchBaseline:
    return WatchBaseline(stash_plays, resume, plex_plays, offset, watched, carry, resume, seen_at[0], offset,
                         seen_at[1])


def moved(move) -> tuple:
    return move.plays_to_stash, move.resume_to_stash_s, move.plays_to_plex, move.resume_to_plex_ms


def decided(b, s, p):
    return decide(b, s, p, NOW, LAST_PASS)


@pytest.mark.parametrize("b, s, p, expected", [
    # first pass: Stash's views estimated (plays by hand; full durations watched), raised to the higher side
    (None, stash(), plex(plays=3, last=100), (3, None, 0, None)),
    (None, stash(plays=2), plex(), (0, None, 2, None)),  # plays added by hand: views
    (None, stash(plays=5), plex(plays=2, last=100), (0, None, 3, None)),
    (None, stash(plays=3, resume=300.0, watched=350.0), plex(), (0, None, 0, 300_000)),  # sampled: a point only
    (None, stash(plays=2, watched=1000.0), plex(), (0, None, 1, None)),  # watched once in two sittings
    (None, stash(plays=4, watched=2100.0), plex(plays=1), (0, None, 1, None)),  # twice: one more
    (None, stash(resume=30.0), plex(), (0, None, 0, 30_000)),
    (None, stash(), plex(offset=45_000, last=100), (0, 45.0, 0, None)),
    (None, stash(plays=1, resume=30.0), plex(plays=1, offset=30_400), (0, None, 0, None)),  # the same point
    # later passes, plays added by hand (count rose, no second watched): each a view
    (base(2, plex_plays=2), stash(plays=3), plex(plays=2), (0, None, 1, None)),
    (base(2, plex_plays=2), stash(plays=2), plex(plays=4, last=100), (2, None, 0, None)),
    (base(2, plex_plays=2), stash(plays=3), plex(plays=3, last=100), (1, None, 1, None)),
    (base(2, plex_plays=2), stash(plays=1), plex(plays=2), (0, None, 0, None)),  # deleted in Stash: kept
    # a session left mid-way: its point, no view
    (base(2, plex_plays=2, watched=50.0), stash(plays=3, resume=300.0, watched=350.0), plex(plays=2),
     (0, None, 0, 300_000)),
    # a session to the end: one view (Stash's point reset), Plex's point cleared by it
    (base(2, 0.0, 2, 0, watched=50.0), stash(plays=3, watched=1050.0), plex(plays=2), (0, None, 1, None)),
    # the second of two sittings: the first one's seconds carried
    (base(3, 500.0, 2, 500_000, watched=550.0, carry=500.0), stash(plays=4, watched=1050.0), plex(plays=2),
     (0, None, 1, None)),
    # a jump to the end: the point reset, too few seconds watched: no view, nothing sent
    (base(1, 100.0, 0, 100_000, watched=100.0, carry=100.0), stash(plays=2, watched=130.0), plex(offset=100_000),
     (0, None, 0, None)),
    # Plex views: plays in Stash, and Stash's point cleared
    (base(1, 300.0, 0, 300_000, watched=300.0, carry=300.0), stash(plays=1, resume=300.0, watched=300.0),
     plex(plays=1, last=9_500), (1, 0.0, 0, None)),
    # a Plex view with Stash's point still unsent to Plex (never the same): cleared too
    (base(1, 0.0, 0, 0, watched=0.0), stash(plays=1, resume=0.0), plex(plays=1, last=9_500), (1, None, 0, None)),
    # resume points: the side that changed
    (base(0, 10.0, 0, 10_000), stash(resume=60.0), plex(offset=10_000), (0, None, 0, 60_000)),
    (base(0, 10.0, 0, 10_000), stash(resume=10.0), plex(offset=90_000, last=50), (0, 90.0, 0, None)),
    (base(0, 10.0, 0, 10_000), stash(resume=0.0), plex(offset=10_000), (0, None, 0, None)),  # 0: not sent to Plex
    (base(0, 10.0, 0, 10_000), stash(resume=10.0), plex(offset=0), (0, 0.0, 0, None)),  # cleared in Plex: cleared
])
def test_what_moves(b, s, p, expected) -> None:
    assert moved(decided(b, s, p)) == expected


@pytest.mark.parametrize("seen_at, s, p, winner", [
    # seen changing in different passes: the later one (a move that did not arrive keeps its side's time)
    ((0.0, 0.0), stash(resume=60.0), plex(offset=90_000), None),  # both seen now, no own times: the further point
    ((9_500.0, 0.0), stash(resume=60.0), plex(offset=90_000), "plex"),  # Stash's seen before, Plex's now
    ((0.0, 9_500.0), stash(resume=60.0), plex(offset=90_000, last=9_900), "stash"),  # Plex's before, Stash's now
    # both changed since the previous pass: each server's own time after it
    ((0.0, 0.0), stash(resume=60.0, last=9_800), plex(offset=90_000, last=9_600), "stash"),
    ((0.0, 0.0), stash(resume=60.0, last=9_600), plex(offset=90_000, last=9_800), "plex"),
    # a time before the previous pass (the plugin's own scrobble then, say) is not news: the further point
    ((0.0, 0.0), stash(resume=60.0, last=9_800), plex(offset=90_000, last=8_000), "plex"),
])
def test_a_resume_conflict_goes_to_the_side_seen_moving_later(seen_at, s, p, winner) -> None:
    b = base(0, 10.0, 0, 10_000, seen_at=(0.0, 0.0))
    if seen_at[0]:  # Stash's 60 s was already seen (and not moved) in an earlier pass
        b = WatchBaseline(0, 10.0, 0, 10_000, 0.0, 0.0, 60.0, seen_at[0], 10_000, 0.0)
    if seen_at[1]:  # Plex's 90 s likewise
        b = WatchBaseline(0, 10.0, 0, 10_000, 0.0, 0.0, 10.0, 0.0, 90_000, seen_at[1])
    move = decided(b, s, p)
    got = "stash" if move.resume_to_plex_ms else "plex" if move.resume_to_stash_s else None
    assert got == (winner or "plex"), moved(move)  # no own times: the further point (Plex's 90 s)


def follow(s: StashWatch, p: PlexWatch, move) -> tuple[StashWatch, PlexWatch]:
    """Both sides after every request of `move` succeeded."""
    after_s = StashWatch(s.plays + move.plays_to_stash, s.last_played_at,
                         move.resume_to_stash_s if move.resume_to_stash_s is not None else s.resume_s,
                         s.watched_s, s.duration_s)
    offset = move.resume_to_plex_ms if move.resume_to_plex_ms is not None else 0 if move.plays_to_plex else p.offset_ms
    return after_s, plex(p.plays + move.plays_to_plex, 200, offset)


def test_the_move_leaves_nothing_to_move_next_time() -> None:
    """The baseline after a full move is what both sides then show: a pass right after moves nothing."""
    cases = [(None, stash(plays=2, resume=30.0), plex(plays=1, last=100)),
             (base(2, plex_plays=2), stash(plays=3, resume=20.0), plex(plays=4, last=100, offset=5_000)),
             (base(2, 0.0, 2, 0, watched=50.0), stash(plays=3, watched=1050.0), plex(plays=2, offset=40_000)),
             (base(1, 300.0, 0, 300_000, watched=300.0), stash(plays=1, resume=300.0, watched=300.0),
              plex(plays=1, last=9_500))]
    for b, s, p in cases:
        move = decided(b, s, p)
        after_s, after_p = follow(s, p, move)
        assert not decide(move.after, after_s, after_p, NOW + 60, NOW).writes, (b, s, p)


def test_two_sittings_to_the_end_make_one_view_and_a_later_sample_none() -> None:
    """A sitting to 40% (its point reaches Plex), a second to the end (one view, Plex's point cleared), then a
    sample of the next viewing (a point again, no view)."""
    s, p = stash(plays=1, resume=400.0, watched=400.0), plex()
    move = decided(None, s, p)
    assert moved(move) == (0, None, 0, 400_000)
    s, p = follow(s, p, move)
    s = StashWatch(2, 9_500, 0.0, 1000.0, DUR)
    move = decide(move.after, s, p, NOW + 100, NOW)
    assert moved(move) == (0, None, 1, None) and move.finished
    s, p = follow(s, p, move)
    assert p.offset_ms == 0
    s = StashWatch(3, 10_500, 150.0, 1150.0, DUR)
    move = decide(move.after, s, p, NOW + 200, NOW + 100)
    assert moved(move) == (0, None, 0, 150_000)


def test_a_point_from_plex_counts_toward_the_finish_in_stash() -> None:
    """Plex's point reaches Stash; Stash's player resumes there and plays to the end: one view."""
    move = decided(base(0, 0.0, 0, 0, watched=0.0), stash(), plex(offset=600_000, last=9_500))
    assert moved(move) == (0, 600.0, 0, None)
    s, p = follow(stash(), plex(offset=600_000, last=9_500), move)
    s = StashWatch(1, 10_100, 0.0, 400.0, DUR)
    assert moved(decide(move.after, s, p, NOW + 100, NOW)) == (0, None, 1, None)


def test_news_that_did_not_arrive_stays_news_and_what_arrived_is_accounted() -> None:
    b, s, p = base(2, plex_plays=2), stash(plays=3, resume=50.0, last=90), plex(plays=4, last=100)
    move = decided(b, s, p)
    assert moved(move) == (2, None, 1, 50_000)
    # Stash took the two Plex plays, then Plex stopped answering before our play and point reached it.
    after = settled(b, s, p, move, Done(plays_to_stash=2))
    again = decided(after, stash(plays=5, resume=50.0, last=100), p)
    assert moved(again) == (0, None, 1, 50_000)  # exactly what had not arrived, nothing twice
    # The other way round: Plex took everything, Stash refused.
    after = settled(b, s, p, move, Done(plays_to_plex=1, resume_to_plex=True))
    again = decided(after, s, plex(plays=5, last=120, offset=50_000))
    assert moved(again) == (2, None, 0, None)


def test_a_finished_session_whose_view_did_not_arrive_is_sent_next_time() -> None:
    b, s, p = base(2, 0.0, 2, 0, watched=50.0), stash(plays=3, watched=1050.0), plex(plays=2)
    move = decided(b, s, p)
    after = settled(b, s, p, move, Done())
    assert moved(decided(after, s, p)) == (0, None, 1, None)


def test_a_first_move_cut_short_is_seen_afresh() -> None:
    s, p = stash(plays=1), plex(plays=3, last=100)
    move = decided(None, s, p)
    assert settled(None, s, p, move, Done()) is None
    assert settled(None, s, p, move, Done(plays_to_stash=2)) == move.after
