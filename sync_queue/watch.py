"""Watch-state baselines: per scene, the play counts and resume points both sides had when the scene's watch state
was last brought in step. Everything above a baseline is news from that side (`watch.decide`).

A pass first writes each moving scene's expected values with `moving = 1`, then makes its Stash and Plex
requests (outside any transaction), then writes what was really done with `moving = 0`. A row still moving when
a pass starts was interrupted mid-way: which of its requests happened is unknown, so the pass takes the scene as
it finds it (a play may be left unmoved; none is ever counted twice).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Mapping

from plugin.record import Record
from sync_queue.txn import in_chunks, write_txn


class WatchBaseline(Record):
    """Stash's play count and resume point (seconds), the Plex items' summed view count and resume point (ms), as
    last brought in step; Stash's watched seconds (`play_duration`; None: not known yet) and those watched since
    its point was last at the start that made no view yet (`carry`); and each side's point as the plugin last saw
    it with when it saw it change (`seen`, `seen_at`: epoch s), which decides a resume conflict."""

    stash_plays: int
    stash_resume_s: float
    plex_plays: int
    plex_offset_ms: int
    stash_watched_s: float | None
    stash_carry_s: float
    stash_seen_s: float
    stash_seen_at: float
    plex_seen_ms: int
    plex_seen_at: float
    __slots__ = tuple(__annotations__)

    def __init__(self, stash_plays: int, stash_resume_s: float, plex_plays: int, plex_offset_ms: int,
                 stash_watched_s: float | None = None, stash_carry_s: float = 0.0,
                 stash_seen_s: float | None = None, stash_seen_at: float = 0.0,
                 plex_seen_ms: int | None = None, plex_seen_at: float = 0.0) -> None:
        self._init(int(stash_plays), float(stash_resume_s), int(plex_plays), int(plex_offset_ms),
                   None if stash_watched_s is None else float(stash_watched_s), float(stash_carry_s),
                   float(stash_resume_s if stash_seen_s is None else stash_seen_s), float(stash_seen_at),
                   int(plex_offset_ms if plex_seen_ms is None else plex_seen_ms), float(plex_seen_at))


_COLUMNS = "scene_id, " + ", ".join(WatchBaseline.__slots__)
_WRITE_VALUES = ", ".join("?" * (len(WatchBaseline.__slots__) + 3))  # the id, the baseline, moving, moved_at

class WatchBaselines:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def all(self) -> dict[int, WatchBaseline]:
        """Every scene's settled baseline (rows still moving are `interrupted`, not here)."""
        rows = self._conn.execute(f"SELECT {_COLUMNS} FROM watch_state WHERE moving = 0")
        return {row[0]: WatchBaseline(*row[1:]) for row in rows}

    def interrupted(self) -> set[int]:
        """Scenes whose last move stopped between its expectation and its outcome (the process died)."""
        return {row[0] for row in self._conn.execute("SELECT scene_id FROM watch_state WHERE moving = 1")}

    def begin(self, expected: Mapping[int, WatchBaseline]) -> None:
        """Marks the scenes as moving toward `expected`, in one commit, before any request is made."""
        self._write(expected, moving=1)

    def settle(self, done: Mapping[int, WatchBaseline | None]) -> None:
        """Records what the moves really did (None: forget the scene, it is seen afresh next time)."""
        kept = {scene_id: baseline for scene_id, baseline in done.items() if baseline is not None}
        forgotten = [scene_id for scene_id, baseline in done.items() if baseline is None]
        with write_txn(self._conn):
            self._write(kept, moving=0)
            for chunk, marks in in_chunks(forgotten):
                self._conn.execute(f"DELETE FROM watch_state WHERE scene_id IN ({marks})", chunk)

    def _write(self, baselines: Mapping[int, WatchBaseline], moving: int) -> None:
        now = time.time()
        with write_txn(self._conn):
            self._conn.executemany(
                f"INSERT OR REPLACE INTO watch_state({_COLUMNS}, moving, moved_at) VALUES ({_WRITE_VALUES})",
                [(scene_id, *b._values(), moving, now) for scene_id, b in baselines.items()])
