"""What watch state moves for one scene, decided from what both sides show now and the baseline of the last move.

The two servers count different things. Stash's own player adds a play about 10 s into every session
(`sceneIncrementPlayCount`; `minimumPlayPercent` defaults to 0), saves the position and the seconds watched every
10 s (`sceneSaveActivity(resume_time, playDuration)`) and resets the position to 0 once it is at 98% or more
(`ui/v2.5/src/components/ScenePlayer/track-activity.ts`). Plex's view count counts finished or marked views. So a
Stash play is not a Plex view. The rule, from the signals Stash gives (play count, watched seconds, resume point):

- **A play added by hand** (the play count rose and no seconds were watched) is a view: each becomes one.
- **A session left mid-way** (seconds watched, resume point > 0 after it) moves as a resume point, not a view.
- **A session that reached the end** (seconds watched, the point reset to 0, and the seconds watched since the
  point was last at the start at least `FINISHED` of the file's duration) is one view, however many sittings it
  took; a point reset after less (a jump to the end) is no view.
- **Plex → Stash**: each new Plex view is one Stash play dated at Plex's `lastViewedAt`; an item in progress
  moves as a resume point; a view that arrives clears Stash's resume point (`sceneSaveActivity(resume_time: 0)`).
- Stash's point moved to 0 without a view is not sent: Plex takes no point of 0, and its only proven clearing
  forms add a view (`/:/scrobble`) or remove them all (`/:/unscrobble`).

Plays and views are additive: everything above a side's baseline is news from that side and goes to the other once;
the plugin's own writes are in the baseline after the move, so nothing echoes back. A resume point is one value:
a side has news when its point moved since the baseline. When both moved (a conflict), the side whose point the
plugin saw change later wins (it keeps its own record of each side's point and when it saw it change, so no time
the plugin caused counts); when both changed since the previous pass, the later of the two servers' own activity
times after that pass (Stash's `last_played_at`: a session's start; Plex's `lastViewedAt`); failing those, the
further point.

With no baseline (the first pass for a scene) Stash's views are estimated: its plays when no second was watched,
else the full durations watched beyond its point, at most its plays; each side's views are brought to the higher,
never lowered, and a point only one side has goes to the other. A play made by hand in the same interval as a
session is taken as that session's (Stash does not tell them apart). Pure: no I/O; `watch.sync` does the requests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from sync_queue.watch import WatchBaseline

RESUME_TOLERANCE_S = 1.0  # Stash keeps seconds as a float, Plex whole milliseconds: closer than this is the same
FINISHED = 0.8  # of the duration, watched since the point was last at the start: a session (or sittings) to the end
_NO_SECONDS = 0.5  # watched seconds that moved less than this: no session (Stash's player saves whole seconds)


@dataclass(frozen=True)
class StashWatch:
    plays: int
    last_played_at: Optional[float]  # epoch seconds
    resume_s: float  # 0: none
    watched_s: float = 0.0  # play_duration: every second watched in Stash's player, summed
    duration_s: float = 0.0  # the scene's (first) file; 0: unknown


@dataclass(frozen=True)
class PlexWatch:
    """The scene's Plex items taken together: views summed, the newest view time, the resume point of the item
    viewed last that has one, and the item plays and the point are written to."""

    plays: int
    last_viewed_at: Optional[float]
    offset_ms: int  # 0: none
    rating_key: int


@dataclass(frozen=True)
class WatchMove:
    plays_to_stash: int
    play_time: Optional[float]  # when the Plex plays happened (its lastViewedAt), for Stash's play history
    resume_to_stash_s: Optional[float]  # 0: clear Stash's point
    plays_to_plex: int  # views: plays added by hand, or a session that reached the end
    resume_to_plex_ms: Optional[int]  # always > 0
    after: WatchBaseline  # both sides once every request succeeded
    finished: bool = False  # plays_to_plex is a Stash session that reached the end (not plays added by hand)
    carry_s: float = 0.0  # Stash's seconds toward the next finish, as seen (before any point is written)
    seen_at: tuple[float, float] = (0.0, 0.0)  # when each side's point (Stash, Plex) was seen to take its value

    @property
    def writes(self) -> bool:
        return bool(self.plays_to_stash or self.plays_to_plex or self.resume_to_stash_s is not None
                    or self.resume_to_plex_ms is not None)


def observed(stash: StashWatch, plex: PlexWatch, now: float = 0.0) -> WatchBaseline:
    """Both sides as they are now, as a baseline (what a scene is taken as when nothing can be known)."""
    return WatchBaseline(stash.plays, stash.resume_s, plex.plays, plex.offset_ms, stash.watched_s,
                         stash.resume_s, stash.resume_s, now, plex.offset_ms, now)


def _same(a_s: float, b_s: float) -> bool:
    return abs(a_s - b_s) <= RESUME_TOLERANCE_S


def decide(baseline: Optional[WatchBaseline], stash: StashWatch, plex: PlexWatch, now: float = 0.0,
           last_pass: Optional[float] = None) -> WatchMove:
    """The move for one scene at time `now`; `last_pass` is when the previous pass ended (None: unknown)."""
    plex_s = plex.offset_ms / 1000
    if baseline is None:
        views = _first_views(stash)
        to_stash, to_plex = max(0, plex.plays - views), max(0, views - plex.plays)
        finished, carry = False, stash.resume_s
        stash_news, plex_news = stash.resume_s > RESUME_TOLERANCE_S, plex_s > RESUME_TOLERANCE_S
        stash_seen_at = plex_seen_at = now
    else:
        to_stash = max(0, plex.plays - baseline.plex_plays)
        to_plex, finished, carry = _stash_views(baseline, stash)
        stash_news = not _same(stash.resume_s, baseline.stash_resume_s)
        plex_news = not _same(plex_s, baseline.plex_offset_ms / 1000) or (
            to_stash > 0 and plex_s <= RESUME_TOLERANCE_S and stash.resume_s > RESUME_TOLERANCE_S)
        stash_seen_at = baseline.stash_seen_at if _same(stash.resume_s, baseline.stash_seen_s) else now
        plex_seen_at = baseline.plex_seen_at if _same(plex_s, baseline.plex_seen_ms / 1000) else now
        if to_stash and plex_s <= RESUME_TOLERANCE_S:
            plex_seen_at = now  # the view cleared Plex's point now, whatever it showed before
    winner = None
    if stash_news and plex_news:
        winner = "stash" if _same(stash.resume_s, plex_s) else _newer(
            stash, plex, stash_seen_at, plex_seen_at, last_pass)
    elif stash_news or plex_news:
        winner = "stash" if stash_news else "plex"
    to_stash_s: Optional[float] = None
    to_plex_ms: Optional[int] = None
    if winner == "plex":
        to_stash_s = None if _same(stash.resume_s, plex_s) else (plex_s if plex_s > RESUME_TOLERANCE_S else 0.0)
        if to_plex and plex_s > RESUME_TOLERANCE_S:
            to_plex_ms = plex.offset_ms  # a view sent clears Plex's point: set it again after
    elif winner == "stash" and stash.resume_s > RESUME_TOLERANCE_S and (to_plex or not _same(stash.resume_s, plex_s)):
        to_plex_ms = round(stash.resume_s * 1000)
    final_stash = stash.resume_s if to_stash_s is None else to_stash_s
    final_plex = to_plex_ms if to_plex_ms is not None else 0 if to_plex else plex.offset_ms
    after = WatchBaseline(
        stash.plays + to_stash, final_stash, plex.plays + to_plex, final_plex, stash.watched_s,
        carry if to_stash_s is None else to_stash_s,
        final_stash, now if to_stash_s is not None else stash_seen_at,
        final_plex, now if final_plex != plex.offset_ms else plex_seen_at)
    return WatchMove(to_stash, plex.last_viewed_at if to_stash else None, to_stash_s, to_plex, to_plex_ms, after,
                     finished, carry, (stash_seen_at, plex_seen_at))


def _first_views(stash: StashWatch) -> int:
    """Stash's views as far as a first look can tell: its plays when no second was watched (all added by hand),
    else the full durations watched beyond its point (a duration less `FINISHED` counts), at most its plays."""
    if stash.watched_s < _NO_SECONDS:
        return stash.plays
    if stash.duration_s <= 0:
        return 0
    return min(stash.plays, int(max(0.0, stash.watched_s - stash.resume_s) / stash.duration_s + (1 - FINISHED)))


def _stash_views(baseline: WatchBaseline, stash: StashWatch) -> tuple[int, bool, float]:
    """(views for Plex, whether from a finished session, seconds watched toward the next finish) since the
    baseline."""
    plays = max(0, stash.plays - baseline.stash_plays)
    watched = 0.0 if baseline.stash_watched_s is None else stash.watched_s - baseline.stash_watched_s
    if watched < _NO_SECONDS:  # no session (or its activity was reset): plays added by hand
        return plays, False, baseline.stash_carry_s
    carry = baseline.stash_carry_s + watched
    if stash.resume_s > RESUME_TOLERANCE_S:
        return 0, False, carry
    finished = stash.duration_s > 0 and carry >= FINISHED * stash.duration_s
    return int(finished), finished, 0.0


def _newer(stash: StashWatch, plex: PlexWatch, stash_seen_at: float, plex_seen_at: float,
           last_pass: Optional[float]) -> str:
    if stash_seen_at != plex_seen_at:
        return "stash" if stash_seen_at > plex_seen_at else "plex"
    stash_at = stash.last_played_at if last_pass is not None and (stash.last_played_at or 0) > last_pass else None
    plex_at = plex.last_viewed_at if last_pass is not None and (plex.last_viewed_at or 0) > last_pass else None
    if stash_at is not None and plex_at is not None and stash_at != plex_at:
        return "stash" if stash_at > plex_at else "plex"
    return "stash" if stash.resume_s >= plex.offset_ms / 1000 else "plex"


@dataclass
class Done:
    """Which of a move's requests succeeded, in the order they are made (Stash first, then Plex)."""

    plays_to_stash: int = 0
    resume_to_stash: bool = False
    plays_to_plex: int = 0
    resume_to_plex: bool = False

    @classmethod
    def of(cls, move: WatchMove) -> Done:
        """Every request of `move` done."""
        return cls(move.plays_to_stash, move.resume_to_stash_s is not None, move.plays_to_plex,
                   move.resume_to_plex_ms is not None)


def settled(baseline: Optional[WatchBaseline], stash: StashWatch, plex: PlexWatch, move: WatchMove, done: Done
            ) -> Optional[WatchBaseline]:
    """The baseline after a move of which only `done` succeeded: what arrived is accounted for on the side it
    arrived at, and news that did not arrive stays news for the next pass. None (no baseline, the scene is seen
    afresh) when a first move was cut short: first-pass rules bring counts to the higher one, so they can repeat."""
    if done == Done.of(move):
        return move.after
    if baseline is None:
        return None
    after = move.after
    stash_plays = stash.plays + done.plays_to_stash - (move.plays_to_plex - done.plays_to_plex)
    plex_plays = plex.plays + done.plays_to_plex - (move.plays_to_stash - done.plays_to_stash)
    watched, carry = after.stash_watched_s, after.stash_carry_s if done.resume_to_stash else move.carry_s
    if move.finished and not done.plays_to_plex:  # the finished session stays news: seen again next pass
        watched, carry = baseline.stash_watched_s, baseline.stash_carry_s
    if done.resume_to_stash and move.resume_to_stash_s is not None:
        stash_resume = move.resume_to_stash_s
    elif move.resume_to_plex_ms is not None and not done.resume_to_plex:
        stash_resume = baseline.stash_resume_s
    else:
        stash_resume = stash.resume_s
    if done.resume_to_plex and move.resume_to_plex_ms is not None:
        plex_offset = move.resume_to_plex_ms
    elif move.resume_to_stash_s is not None and not done.resume_to_stash:
        plex_offset = baseline.plex_offset_ms
    else:
        plex_offset = 0 if done.plays_to_plex else plex.offset_ms
    stash_seen = (after.stash_seen_s, after.stash_seen_at) if done.resume_to_stash else (
        stash.resume_s, move.seen_at[0])
    plex_seen = (after.plex_seen_ms, after.plex_seen_at) if done.resume_to_plex or done.plays_to_plex else (
        plex.offset_ms, move.seen_at[1])
    return WatchBaseline(stash_plays, stash_resume, plex_plays, plex_offset, watched, carry, *stash_seen, *plex_seen)
