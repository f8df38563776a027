"""The stored Plex library index: every item's file parts (path, size, duration) and listed fields.

Built from paged section listings and kept between drains, so matching a scene is an indexed lookup instead
of a walk over Plex. A rebuild never holds the write lock while Plex is read: the listing streams into TEMP
tables (private to the connection, no lock on the database), then one short write transaction swaps the
section in, so matching never sees a half-built section and hooks never wait on Plex.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Iterator
from itertools import islice

from plugin.record import Record
from sync_queue.meta import SECTION_SCANNED, Meta
from sync_queue.txn import IN_CHUNK, in_chunks, write_txn


class PlexPart(Record):
    """One file of a Plex item (path normalised); duration in ms, to break basename ties by."""

    rating_key: int
    path: str
    size: int | None
    duration_ms: int | None
    __slots__ = tuple(__annotations__)

    def __init__(self, rating_key: int, path: str, size: int | None, duration_ms: int | None = None) -> None:
        self._init(rating_key, path, size, duration_ms)


class PlexItemRecord(Record):
    """An item as a listing shows it: parts as (path, size) pairs, fields as `plex.parse.video_fields`."""

    rating_key: int
    section_id: int
    parts: list
    fields: dict
    __slots__ = tuple(__annotations__)

    def __init__(self, rating_key: int, section_id: int, parts: list | None = None, fields: dict | None = None):
        self._init(rating_key, section_id, list(parts or ()), dict(fields or {}))

    @property
    def duration_ms(self) -> int | None:
        return self.fields.get("duration")


def basename(path: str) -> str:
    """Last component of a normalised path (forward slashes; `plex.parse.normalise_path`)."""
    return path.rsplit("/", 1)[-1]


class PlexIndex:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._meta = Meta(conn)

    def replace_section(self, section_id: int, items: Iterable[PlexItemRecord], now: float | None = None) -> int:
        """Replaces what is stored for one section with `items`; returns the item count.

        `items` may do network I/O: it is consumed before the write transaction begins (into TEMP tables), and
        the swap is one short transaction. An item that moved here from another section is re-homed.
        """
        now = time.time() if now is None else now
        conn = self._conn
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS staged_items (rating_key INTEGER PRIMARY KEY, fields TEXT)")
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS staged_parts (path TEXT, basename TEXT, size INTEGER, "
                     "duration INTEGER, rating_key INTEGER)")
        conn.execute("CREATE INDEX IF NOT EXISTS temp.ix_staged_parts ON staged_parts(rating_key)")
        conn.execute("DELETE FROM temp.staged_items")
        conn.execute("DELETE FROM temp.staged_parts")
        iterator = iter(items)
        while chunk := list(islice(iterator, IN_CHUNK)):
            # A listing may show an item twice (pages shifted under a concurrent change): the last sight wins.
            conn.executemany("DELETE FROM temp.staged_parts WHERE rating_key = ?", [(r.rating_key,) for r in chunk])
            conn.executemany("INSERT OR REPLACE INTO temp.staged_items VALUES (?, ?)",
                             [(r.rating_key, json.dumps(r.fields, sort_keys=True)) for r in chunk])
            conn.executemany("INSERT INTO temp.staged_parts VALUES (?, ?, ?, ?, ?)",
                             [(path, basename(path), size, r.duration_ms, r.rating_key)
                              for r in chunk for path, size in r.parts])
        total = conn.execute("SELECT COUNT(*) FROM temp.staged_items").fetchone()[0]
        with write_txn(conn):
            conn.execute("DELETE FROM plex_parts WHERE rating_key IN (SELECT rating_key FROM plex_items "
                         "WHERE section_id = ? UNION SELECT rating_key FROM temp.staged_items)", (section_id,))
            conn.execute("DELETE FROM plex_items WHERE section_id = ?", (section_id,))
            conn.execute("INSERT OR REPLACE INTO plex_items(rating_key, section_id, fields, indexed_at) "
                         "SELECT rating_key, ?, fields, ? FROM temp.staged_items", (section_id, now))
            conn.execute("INSERT INTO plex_parts(path, basename, size, duration, rating_key) "
                         "SELECT path, basename, size, duration, rating_key FROM temp.staged_parts")
        conn.execute("DELETE FROM temp.staged_items")
        conn.execute("DELETE FROM temp.staged_parts")
        return total

    def by_paths(self, paths: Iterable[str]) -> dict[str, list[PlexPart]]:
        """Parts whose full path is one of `paths` (exact); paths without a match are absent."""
        return self._parts_where("path", paths)

    def by_basenames(self, names: Iterable[str]) -> dict[str, list[PlexPart]]:
        """Parts per file name; more than one entry under a name means the name alone is ambiguous."""
        return self._parts_where("basename", names)

    def _parts_where(self, column: str, values: Iterable[str]) -> dict[str, list[PlexPart]]:
        wanted = list(dict.fromkeys(values))
        found: dict[str, list[PlexPart]] = {}
        for chunk, marks in in_chunks(wanted):
            rows = self._conn.execute(f"SELECT {column}, rating_key, path, size, duration FROM plex_parts "
                                      f"WHERE {column} IN ({marks}) ORDER BY rating_key, path",
                                      chunk)
            for key, rating_key, path, size, duration in rows:
                found.setdefault(key, []).append(PlexPart(rating_key, path, size, duration))
        return found

    def items(self, rating_keys: Iterable[int]) -> dict[int, PlexItemRecord]:
        """The stored items among `rating_keys` (with their parts)."""
        found: dict[int, PlexItemRecord] = {}
        for rating_key in dict.fromkeys(rating_keys):
            row = self._conn.execute("SELECT section_id, fields FROM plex_items WHERE rating_key = ?",
                                     (rating_key,)).fetchone()
            if row is not None:
                parts = self._conn.execute("SELECT path, size FROM plex_parts WHERE rating_key = ? ORDER BY rowid",
                                           (rating_key,)).fetchall()
                found[rating_key] = PlexItemRecord(rating_key, row[0], parts, json.loads(row[1]))
        return found

    def watched(self) -> set[int]:
        """Items the listing showed with a view or a resume point (`plex.parse.video_watch`)."""
        rows = self._conn.execute("SELECT rating_key FROM plex_items WHERE json_extract(fields, '$.watch') IS NOT NULL")
        return {row[0] for row in rows}

    def present(self, rating_keys: Iterable[int]) -> set[int]:
        """Which of `rating_keys` the stored index holds."""
        keys = list(dict.fromkeys(rating_keys))
        found: set[int] = set()
        for chunk, marks in in_chunks(keys):
            found.update(row[0] for row in self._conn.execute(
                f"SELECT rating_key FROM plex_items WHERE rating_key IN ({marks})", chunk))
        return found

    def iter_section(self, section_id: int, page_size: int = 1000) -> Iterator[PlexItemRecord]:
        """Every item of a section in rating-key order, one keyset page in memory at a time."""
        after = -1
        while True:
            rows = self._conn.execute("SELECT rating_key, fields FROM plex_items WHERE section_id = ? AND "
                                      "rating_key > ? ORDER BY rating_key LIMIT ?",
                                      (section_id, after, page_size)).fetchall()
            if not rows:
                return
            keys = {row[0] for row in rows}
            parts: dict[int, list] = {}
            # A key range instead of IN (...): any page size stays within SQLite's parameter limit.
            for rating_key, path, size in self._conn.execute(
                    "SELECT rating_key, path, size FROM plex_parts WHERE rating_key BETWEEN ? AND ? ORDER BY rowid",
                    (rows[0][0], rows[-1][0])):
                if rating_key in keys:
                    parts.setdefault(rating_key, []).append((path, size))
            for rating_key, fields in rows:
                yield PlexItemRecord(rating_key, section_id, parts.get(rating_key, []), json.loads(fields))
            after = rows[-1][0]

    def item_count(self) -> int:
        return int(self._conn.execute("SELECT COUNT(*) FROM plex_items").fetchone()[0])

    def paths_sample(self, limit: int) -> list[str]:
        """Up to `limit` stored file paths, for inferring the path map."""
        return [row[0] for row in self._conn.execute("SELECT path FROM plex_parts LIMIT ?", (limit,))]

    def scanned_stamp(self, section_id: int) -> str | None:
        """The section's scannedAt when its index was last built (None: never built; '': marked stale)."""
        return self._meta.get(f"{SECTION_SCANNED}{section_id}")

    def set_scanned_stamp(self, section_id: int, stamp: str) -> None:
        self._meta.set(f"{SECTION_SCANNED}{section_id}", stamp)

    def mark_stale(self) -> None:
        """Every section is rebuilt at the next refresh (an item we matched has vanished from Plex)."""
        with write_txn(self._conn):
            self._conn.execute("UPDATE meta SET value = '' WHERE key LIKE ?", (SECTION_SCANNED + "%",))
