"""What watch state moves for one scene, decided from what both sides show now and the baseline of the last move.

Plays are additive: everything above a side's baseline is news from that side and goes to the other, so plays on
both sides between two passes all arrive, each once. A resume point is one value: a side has news when its point
moved since the baseline; when both moved, the side whose latest view is newer wins (Plex's `lastViewedAt`,
Stash's `last_played_at`). Only a positive point is sent: Plex ignores a point of 0, and marking an item played
clears its point there, so the point is sent after the plays.

With no baseline (the first pass for a scene) the counts are brought to the higher of the two, never lowered, and
a point only one side has goes to the other. A count that fell below its baseline (plays deleted) is taken as it
now is: a pass never takes plays away.

Pure: no I/O. `watch.sync` reads both sides, calls `decide` per scene and makes the requests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from sync_queue.watch import WatchBaseline

RESUME_TOLERANCE_S = 1.0  # Stash keeps seconds as a float, Plex whole milliseconds: closer than this is the same


@dataclass(frozen=True)
class StashWatch:
    plays: int
    last_played_at: Optional[float]  # epoch seconds
    resume_s: float  # 0: none


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
    resume_to_stash_s: Optional[float]
    plays_to_plex: int
    resume_to_plex_ms: Optional[int]
    after: WatchBaseline  # both sides once every request succeeded

    @property
    def writes(self) -> bool:
        return bool(self.plays_to_stash or self.plays_to_plex or self.resume_to_stash_s is not None
                    or self.resume_to_plex_ms is not None)


def observed(stash: StashWatch, plex: PlexWatch) -> WatchBaseline:
    """Both sides as they are now, as a baseline (what a scene is taken as when nothing can be known)."""
    return WatchBaseline(stash.plays, stash.resume_s, plex.plays, plex.offset_ms)


def decide(baseline: Optional[WatchBaseline], stash: StashWatch, plex: PlexWatch) -> WatchMove:
    if baseline is None:
        to_stash, to_plex = max(0, plex.plays - stash.plays), max(0, stash.plays - plex.plays)
        stash_news, plex_news = stash.resume_s > 0, plex.offset_ms > 0
    else:
        to_stash = max(0, plex.plays - baseline.plex_plays)
        to_plex = max(0, stash.plays - baseline.stash_plays)
        stash_news = stash.resume_s > 0 and abs(stash.resume_s - baseline.stash_resume_s) > RESUME_TOLERANCE_S
        plex_news = plex.offset_ms > 0 and abs(plex.offset_ms - baseline.plex_offset_ms) > RESUME_TOLERANCE_S * 1000
    resume_to_stash, resume_to_plex = _resume(stash, plex, stash_news, plex_news)
    after_offset = resume_to_plex if resume_to_plex is not None else 0 if to_plex else plex.offset_ms
    after = WatchBaseline(stash.plays + to_stash, resume_to_stash if resume_to_stash is not None else stash.resume_s,
                          plex.plays + to_plex, after_offset)
    return WatchMove(to_stash, plex.last_viewed_at if to_stash else None, resume_to_stash, to_plex, resume_to_plex,
                     after)


def _resume(stash: StashWatch, plex: PlexWatch, stash_news: bool, plex_news: bool
            ) -> tuple[Optional[float], Optional[int]]:
    """(point for Stash in s, point for Plex in ms): at most one is set."""
    plex_s = plex.offset_ms / 1000
    if stash_news and plex_news:
        if abs(stash.resume_s - plex_s) <= RESUME_TOLERANCE_S:
            return None, None
        plex_newer = (plex.last_viewed_at or 0) > (stash.last_played_at or 0)
        stash_news, plex_news = not plex_newer, plex_newer
    if plex_news and abs(stash.resume_s - plex_s) > RESUME_TOLERANCE_S:
        return plex_s, None
    if stash_news and abs(stash.resume_s - plex_s) > RESUME_TOLERANCE_S:
        return None, round(stash.resume_s * 1000)
    return None, None


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
    stash_plays = stash.plays + done.plays_to_stash - (move.plays_to_plex - done.plays_to_plex)
    plex_plays = plex.plays + done.plays_to_plex - (move.plays_to_stash - done.plays_to_stash)
    if done.resume_to_stash:
        stash_resume = move.resume_to_stash_s
    elif move.resume_to_plex_ms is not None and not done.resume_to_plex:
        stash_resume = baseline.stash_resume_s
    else:
        stash_resume = stash.resume_s
    if done.resume_to_plex:
        plex_offset = move.resume_to_plex_ms
    elif move.resume_to_stash_s is not None and not done.resume_to_stash:
        plex_offset = baseline.plex_offset_ms
    else:
        plex_offset = 0 if done.plays_to_plex else plex.offset_ms
    return WatchBaseline(stash_plays, stash_resume, plex_plays, plex_offset)
