"""Stash's watch activity and performer tally: what the watch-state pass (`watch.sync`) and the reconcile's merge
check (`reconciliation.engine`) ask of Stash. A base of `stash.client.StashClient`, which supplies `query` and the
keyset walk; apart so the client module keeps to the transport and the scene reads.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, Any, Dict, Iterator, List, Optional, Sequence

from stash import queries


class StashActivity:
    """Needs `query(document, variables)` and `_keyset_walk(document, per_page, since, extra_filter)`."""

    _dated_plays: Optional[bool] = None  # the version probe's answer, once per client (`dated_plays`)

    if TYPE_CHECKING:  # supplied by StashClient
        def query(self, document: str, variables: Optional[Dict[str, Any]] = None) -> dict: ...

        def _keyset_walk(self, document: str, per_page: int, updated_since: Optional[datetime],
                         extra_filter: Dict[str, Any]) -> Iterator[tuple[List[dict], int, int]]: ...

    def watched_scenes(self, per_page: int = 1000) -> Dict[int, dict]:
        """Every scene with a play or a resume point: id -> {play_count, last_played_at, resume_time}. Read whole
        before anything is written, so the pass's own writes cannot move scenes between pages."""
        found: Dict[int, dict] = {}
        for criterion in ("play_count", "resume_time"):
            extra = {criterion: {"value": 0, "modifier": "GREATER_THAN"}}
            for scenes, _, _ in self._keyset_walk(queries.FIND_WATCHED_PAGE, per_page, None, extra):
                found.update((int(s["id"]), s) for s in scenes)
        return found

    def performer_tally(self) -> tuple[int, int]:
        """(how many performers, the newest id): one small request."""
        found = self.query(queries.PERFORMER_TALLY).get("findPerformers") or {}
        newest = found.get("performers") or [{"id": 0}]
        return int(found.get("count") or 0), int(newest[0]["id"])

    def dated_plays(self) -> bool:
        """Whether the server takes plays dated as given (`sceneAddPlay`, v0.25+). Asked once per client (a drain
        holds one): `version.version` is `vX.Y.Z`, a development build's is longer; unreadable means newer."""
        if self._dated_plays is None:
            version = str(((self.query(queries.VERSION).get("version") or {}).get("version")) or "")
            found = re.match(r"v?(\d+)\.(\d+)", version)
            self._dated_plays = found is None or (int(found[1]), int(found[2])) >= queries.ADD_PLAYS_SINCE
        return self._dated_plays

    def add_plays(self, scene_id: int, times: Sequence[str]) -> None:
        """Adds one play per RFC 3339 time (no hook runs, updated_at stays: Stash's own player does the same). On
        v0.24, which keeps no play history, each play is `sceneIncrementPlayCount` and dated now."""
        if self.dated_plays():
            self.query(queries.ADD_PLAYS, {"id": str(scene_id), "times": list(times)})
            return
        for _ in times:
            self.query(queries.INCREMENT_PLAY, {"id": str(scene_id)})

    def save_resume(self, scene_id: int, seconds: float) -> None:
        """Sets the resume point; 0 clears it (`SaveActivity` writes the value given, v0.24 → develop)."""
        self.query(queries.SAVE_RESUME, {"id": str(scene_id), "resume_time": float(seconds)})
