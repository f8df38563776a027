"""Per-scene sync state, read side: what was last pushed, where it went in Plex, what is scheduled next.

`scene_state` is written by the dedup rule (`sync_queue.dedup`), the queue (`sync_queue.queue`) and a dead-letter retry
(`sync_queue.dead_letters`); this module only reads it.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator

from plugin.record import Record
from sync_queue import ackqueue
from sync_queue.ackqueue import JobStatus
from sync_queue.txn import in_chunks

# The lists of the UI's status page: which scene_state rows each holds (a not-found retry is still not in Plex).
LISTS = {"not_in_plex": "status = 'not_found' OR (status = 'retrying' AND error_class = 'not_found')",
         "ambiguous": "status = 'ambiguous'"}


class SceneState(Record):
    """One row of scene_state. `field_hashes` maps each pushed Plex field to the hash of its value;
    `poster_sha1` is the last uploaded cover's; `our_tags` the tags this plugin
    added, by field ({"collections": [...], "labels": [...]}: see `mapping.fields.OURS_KEPT`)."""

    scene_id: int
    job_id: int | None
    last_synced_updated_at: str | None
    last_synced_epoch: float | None
    fetched_updated_at: str | None
    fetched_epoch: float | None
    content_hash: str | None
    field_hashes: dict[str, str]
    plex_keys: list[int]
    status: str
    cover_pending: bool
    attempts: int
    next_attempt_at: float | None
    error_class: str | None
    last_error: str | None
    synced_at: float | None
    poster_sha1: str | None
    our_tags: dict[str, list[str]]
    __slots__ = tuple(__annotations__)

    def __init__(self, *values: object) -> None:
        self._init(*values)



_COLUMNS = ", ".join(SceneState.__slots__)  # scene_state's columns, in the order of the fields

def _from_row(row: tuple) -> SceneState:
    values = list(row)
    values[7] = json.loads(values[7]) if values[7] else {}
    values[8] = json.loads(values[8]) if values[8] else []
    values[10] = bool(values[10])
    values[17] = json.loads(values[17]) if values[17] else {}
    return SceneState(*values)


class SceneStates:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def get_many(self, scene_ids: Iterable[int]) -> dict[int, SceneState]:
        """States of the scenes that have one; unknown ids are simply absent."""
        ids = list(dict.fromkeys(int(i) for i in scene_ids))
        found: dict[int, SceneState] = {}
        for chunk, marks in in_chunks(ids):
            rows = self._conn.execute(f"SELECT {_COLUMNS} FROM scene_state WHERE scene_id IN ({marks})", chunk)
            for row in rows:
                found[row[0]] = _from_row(row)
        return found

    def running(self, scene_ids: Iterable[int]) -> set[int]:
        """Which of the scenes have their latest job claimed by a drainer right now (being pushed)."""
        ids = list(dict.fromkeys(int(i) for i in scene_ids))
        found: set[int] = set()
        for chunk, marks in in_chunks(ids):
            found.update(row[0] for row in self._conn.execute(
                f"SELECT s.scene_id FROM scene_state AS s JOIN {ackqueue.TABLE} AS q ON q._id = s.job_id "
                f"WHERE q.status = {JobStatus.UNACK} AND s.scene_id IN ({marks})", chunk))
        return found

    def listing(self, name: str, offset: int, limit: int) -> tuple[int, list[SceneState]]:
        """(how many, one page in scene-id order) of a status-page list (`LISTS`); KeyError for another name."""
        where = LISTS[name]
        total = self._conn.execute(f"SELECT COUNT(*) FROM scene_state WHERE {where}").fetchone()[0]
        rows = self._conn.execute(f"SELECT {_COLUMNS} FROM scene_state WHERE {where} ORDER BY scene_id "
                                  "LIMIT ? OFFSET ?", (limit, offset))
        return int(total), [_from_row(row) for row in rows]

    def iter_all(self, page_size: int = 1000) -> Iterator[SceneState]:
        """Every state in scene-id order, by keyset pages so a reconcile never holds all of them."""
        after = 0
        while True:
            rows = self._conn.execute(f"SELECT {_COLUMNS} FROM scene_state WHERE scene_id > ? ORDER BY scene_id "
                                      "LIMIT ?", (after, page_size)).fetchall()
            if not rows:
                return
            yield from (_from_row(row) for row in rows)
            after = rows[-1][0]

    def scenes_of_items(self, rating_keys: Iterable[int]) -> dict[int, int]:
        """The scene each Plex item was last synced for (rating key -> scene id): one scan of the states, the
        keys in a TEMP table (private to the connection, so no lock on the database)."""
        self._conn.execute("CREATE TEMP TABLE IF NOT EXISTS wanted_items (rating_key INTEGER PRIMARY KEY)")
        self._conn.execute("DELETE FROM temp.wanted_items")
        self._conn.executemany("INSERT OR IGNORE INTO temp.wanted_items VALUES (?)", ((int(k),) for k in rating_keys))
        rows = self._conn.execute(
            "SELECT item.value, scene_state.scene_id FROM scene_state, json_each(scene_state.plex_keys) AS item "
            "WHERE item.value IN (SELECT rating_key FROM temp.wanted_items)")
        return {int(key): scene_id for key, scene_id in rows}

    def status_counts(self) -> dict[str, int]:
        return dict(self._conn.execute("SELECT status, COUNT(*) FROM scene_state GROUP BY status").fetchall())
