"""What moves for one scene: table tests of the pure decision and of what a cut-short move leaves as baseline."""

from __future__ import annotations

import pytest

from sync_queue.watch import WatchBaseline
from watch.decide import Done, PlexWatch, StashWatch, decide, settled

RK = 501


def stash(plays=0, last=None, resume=0.0) -> StashWatch:
    return StashWatch(plays, last, resume)


def plex(plays=0, last=None, offset=0) -> PlexWatch:
    return PlexWatch(plays, last, offset, RK)


def moved(move) -> tuple:
    return move.plays_to_stash, move.resume_to_stash_s, move.plays_to_plex, move.resume_to_plex_ms


@pytest.mark.parametrize("base, s, p, expected", [
    # first pass: counts raised to the higher side, never lowered; a point only one side has is copied
    (None, stash(), plex(plays=3, last=100), (3, None, 0, None)),
    (None, stash(plays=2), plex(), (0, None, 2, None)),
    (None, stash(plays=5), plex(plays=2, last=100), (0, None, 3, None)),
    (None, stash(resume=30.0), plex(), (0, None, 0, 30_000)),
    (None, stash(), plex(offset=45_000, last=100), (0, 45.0, 0, None)),
    (None, stash(plays=1, resume=30.0), plex(plays=1, offset=30_400), (0, None, 0, None)),  # the same point
    # later passes: news is what rose above the baseline, on each side, both ways at once
    (WatchBaseline(2, 0, 2, 0), stash(plays=3), plex(plays=2), (0, None, 1, None)),
    (WatchBaseline(2, 0, 2, 0), stash(plays=2), plex(plays=4, last=100), (2, None, 0, None)),
    (WatchBaseline(2, 0, 2, 0), stash(plays=3), plex(plays=3, last=100), (1, None, 1, None)),
    (WatchBaseline(2, 0, 2, 0), stash(plays=1), plex(plays=2), (0, None, 0, None)),  # deleted in Stash: kept
    # resume points: the side that changed; both changed: the one played last
    (WatchBaseline(0, 10.0, 0, 10_000), stash(resume=60.0), plex(offset=10_000), (0, None, 0, 60_000)),
    (WatchBaseline(0, 10.0, 0, 10_000), stash(resume=10.0), plex(offset=90_000, last=50), (0, 90.0, 0, None)),
    (WatchBaseline(0, 10.0, 0, 10_000), stash(resume=60.0, last=40), plex(offset=90_000, last=50),
     (0, 90.0, 0, None)),
    (WatchBaseline(0, 10.0, 0, 10_000), stash(resume=60.0, last=70), plex(offset=90_000, last=50),
     (0, None, 0, 60_000)),
    (WatchBaseline(0, 10.0, 0, 10_000), stash(resume=0.0), plex(offset=10_000), (0, None, 0, None)),  # 0: not sent
])
def test_what_moves(base, s, p, expected) -> None:
    assert moved(decide(base, s, p)) == expected


def test_the_move_leaves_nothing_to_move_next_time() -> None:
    """The baseline after a full move is what both sides then show: a pass right after moves nothing."""
    cases = [(None, stash(plays=2, resume=30.0), plex(plays=1, last=100)),
             (WatchBaseline(2, 0, 2, 0), stash(plays=3, resume=20.0), plex(plays=4, last=100, offset=5_000))]
    for base, s, p in cases:
        move = decide(base, s, p)
        after_s = stash(s.plays + move.plays_to_stash, s.last_played_at,
                        move.resume_to_stash_s if move.resume_to_stash_s is not None else s.resume_s)
        offset = move.resume_to_plex_ms if move.resume_to_plex_ms is not None else 0 if move.plays_to_plex else p.offset
        after_p = plex(p.plays + move.plays_to_plex, 200, offset)
        assert not decide(move.after, after_s, after_p).writes, (base, s, p)


def test_a_play_then_a_resume_point_go_to_plex_in_that_order_and_the_point_survives() -> None:
    move = decide(WatchBaseline(1, 0, 1, 0), stash(plays=2, resume=42.0), plex(plays=1))
    assert (move.plays_to_plex, move.resume_to_plex_ms) == (1, 42_000)
    assert move.after == WatchBaseline(2, 42.0, 2, 42_000)


def test_news_that_did_not_arrive_stays_news_and_what_arrived_is_accounted() -> None:
    base, s, p = WatchBaseline(2, 0, 2, 0), stash(plays=3, resume=50.0, last=90), plex(plays=4, last=100)
    move = decide(base, s, p)
    assert moved(move) == (2, None, 1, 50_000)
    # Stash took the two Plex plays, then Plex stopped answering before our play and point reached it.
    after = settled(base, s, p, move, Done(plays_to_stash=2))
    observed_s = stash(plays=5, resume=50.0, last=100)
    again = decide(after, observed_s, p)
    assert moved(again) == (0, None, 1, 50_000)  # exactly what had not arrived, nothing twice
    # The other way round: Plex took everything, Stash refused.
    after = settled(base, s, p, move, Done(plays_to_plex=1, resume_to_plex=True))
    again = decide(after, s, plex(plays=5, last=120, offset=50_000))
    assert moved(again) == (2, None, 0, None)


def test_a_first_move_cut_short_is_seen_afresh() -> None:
    s, p = stash(plays=1), plex(plays=3, last=100)
    move = decide(None, s, p)
    assert settled(None, s, p, move, Done()) is None
    assert settled(None, s, p, move, Done(plays_to_stash=2)) == move.after
