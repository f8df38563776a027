"""Per-scene sync state: what was last pushed, where it went in Plex, and what is scheduled next.

The `scene_state` table is written by enqueue.py and jobs.py; this module is the read side plus the
few single-field updates the drainer needs between jobs.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Dict, Iterable, Iterator, List, Optional

_IN_CHUNK = 500  # stays below SQLite's bound-parameter limit on old builds (999)


@dataclass(frozen=True)
class SceneState:
    scene_id: int
    job_id: Optional[int]
    last_synced_updated_at: Optional[str]
    last_synced_epoch: Optional[float]
    fetched_updated_at: Optional[str]
    fetched_epoch: Optional[float]
    content_hash: Optional[str]
    field_hashes: Dict[str, str]
    plex_keys: List[int]
    status: str
    cover_pending: bool
    attempts: int
    next_attempt_at: Optional[float]
    error_class: Optional[str]
    last_error: Optional[str]
    synced_at: Optional[float]


_COLUMNS = (
    "scene_id, job_id, last_synced_updated_at, last_synced_epoch, fetched_updated_at, fetched_epoch, "
    "content_hash, field_hashes, plex_keys, status, cover_pending, attempts, next_attempt_at, error_class, "
    "last_error, synced_at"
)


def _from_row(row: tuple) -> SceneState:
    values = list(row)
    values[7] = json.loads(values[7]) if values[7] else {}
    values[8] = json.loads(values[8]) if values[8] else []
    values[10] = bool(values[10])
    return SceneState(*values)


def get_state(conn: sqlite3.Connection, scene_id: int) -> Optional[SceneState]:
    row = conn.execute(f"SELECT {_COLUMNS} FROM scene_state WHERE scene_id = ?", (scene_id,)).fetchone()
    return _from_row(row) if row else None


def get_states(conn: sqlite3.Connection, scene_ids: Iterable[int]) -> Dict[int, SceneState]:
    """States of the scenes that have one; unknown ids are simply absent."""
    ids = list(dict.fromkeys(int(i) for i in scene_ids))
    found: Dict[int, SceneState] = {}
    for start in range(0, len(ids), _IN_CHUNK):
        chunk = ids[start : start + _IN_CHUNK]
        marks = ",".join("?" * len(chunk))
        for row in conn.execute(f"SELECT {_COLUMNS} FROM scene_state WHERE scene_id IN ({marks})", chunk):
            state = _from_row(row)
            found[state.scene_id] = state
    return found


def iter_states(
    conn: sqlite3.Connection, page_size: int = 1000, after_id: int = 0, status: Optional[str] = None
) -> Iterator[SceneState]:
    """Every state in scene-id order, fetched by keyset pages so a reconcile never holds all of them."""
    where = "scene_id > ?" + (" AND status = ?" if status else "")
    while True:
        params: list = [after_id] + ([status] if status else []) + [page_size]
        rows = conn.execute(
            f"SELECT {_COLUMNS} FROM scene_state WHERE {where} ORDER BY scene_id LIMIT ?", params
        ).fetchall()
        if not rows:
            return
        for row in rows:
            yield _from_row(row)
        after_id = rows[-1][0]


def status_counts(conn: sqlite3.Connection) -> Dict[str, int]:
    return dict(conn.execute("SELECT status, COUNT(*) FROM scene_state GROUP BY status").fetchall())

