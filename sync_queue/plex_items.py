"""The stored Plex library index: every item's file parts, looked up by full path or by basename.

Built from paged section listings by the drainer and kept between drains, so matching a scene is an
indexed lookup instead of a walk over Plex. `replace_section` streams: it consumes its iterable in
small chunks, so a 100k-item library never sits in Python memory at once.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, Dict, Iterable, Iterator, List, Optional, Tuple

from sync_queue.txn import write_txn

_CHUNK = 500
_SEPARATORS = re.compile(r"[\\/]")


@dataclass(frozen=True)
class PlexPart:
    rating_key: int
    path: str
    size: Optional[int]


@dataclass(frozen=True)
class PlexItemRecord:
    rating_key: int
    section_id: int
    parts: List[Tuple[str, Optional[int]]] = field(default_factory=list)
    fields: Dict[str, Any] = field(default_factory=dict)


def basename(path: str) -> str:
    """Last path component for POSIX and Windows Plex servers alike."""
    return _SEPARATORS.split(path)[-1]


def _insert_chunk(conn: sqlite3.Connection, records: List[PlexItemRecord], now: float) -> None:
    conn.executemany(
        "INSERT OR REPLACE INTO plex_items(rating_key, section_id, fields, indexed_at) VALUES (?, ?, ?, ?)",
        [(r.rating_key, r.section_id, json.dumps(r.fields, sort_keys=True), now) for r in records],
    )
    conn.executemany(
        "INSERT INTO plex_parts(path, basename, size, rating_key) VALUES (?, ?, ?, ?)",
        [(path, basename(path), size, r.rating_key) for r in records for path, size in r.parts],
    )


def _delete_items(conn: sqlite3.Connection, rating_keys: List[int]) -> None:
    conn.executemany("DELETE FROM plex_parts WHERE rating_key = ?", [(k,) for k in rating_keys])
    conn.executemany("DELETE FROM plex_items WHERE rating_key = ?", [(k,) for k in rating_keys])


def replace_section(
    conn: sqlite3.Connection, section_id: int, items: Iterable[PlexItemRecord], now: Optional[float] = None
) -> int:
    """Replaces everything stored for one section with `items`, atomically; returns the item count.

    One transaction, so matching never sees a half-built section. An item that moved here from another
    section is simply re-homed (rating keys are unique per server).
    """
    now = time.time() if now is None else now
    total = 0
    with write_txn(conn):
        conn.execute(
            "DELETE FROM plex_parts WHERE rating_key IN (SELECT rating_key FROM plex_items WHERE section_id = ?)",
            (section_id,),
        )
        conn.execute("DELETE FROM plex_items WHERE section_id = ?", (section_id,))
        iterator = iter(items)
        while True:
            chunk = list(islice(iterator, _CHUNK))
            if not chunk:
                break
            # A key may arrive from another section: drop its old parts so they are not duplicated.
            conn.executemany("DELETE FROM plex_parts WHERE rating_key = ?", [(r.rating_key,) for r in chunk])
            _insert_chunk(conn, chunk, now)
            total += len(chunk)
    return total


def _parts_where(conn: sqlite3.Connection, column: str, values: Iterable[str]) -> Dict[str, List[PlexPart]]:
    wanted = list(dict.fromkeys(values))
    found: Dict[str, List[PlexPart]] = {}
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        marks = ",".join("?" * len(chunk))
        rows = conn.execute(
            f"SELECT {column}, rating_key, path, size FROM plex_parts WHERE {column} IN ({marks}) "
            "ORDER BY rating_key, path",
            chunk,
        )
        for key, rating_key, path, size in rows:
            found.setdefault(key, []).append(PlexPart(rating_key, path, size))
    return found


def by_paths(conn: sqlite3.Connection, paths: Iterable[str]) -> Dict[str, List[PlexPart]]:
    """Parts whose full path is one of `paths` (exact, case-sensitive); paths without a match are absent."""
    return _parts_where(conn, "path", paths)


def by_basenames(conn: sqlite3.Connection, names: Iterable[str]) -> Dict[str, List[PlexPart]]:
    """Parts per file name; more than one entry under a name means the name alone is ambiguous."""
    return _parts_where(conn, "basename", names)


def get_item(conn: sqlite3.Connection, rating_key: int) -> Optional[PlexItemRecord]:
    row = conn.execute("SELECT section_id, fields FROM plex_items WHERE rating_key = ?", (rating_key,)).fetchone()
    if row is None:
        return None
    parts = conn.execute(
        "SELECT path, size FROM plex_parts WHERE rating_key = ? ORDER BY rowid", (rating_key,)
    ).fetchall()
    return PlexItemRecord(rating_key, row[0], [(path, size) for path, size in parts], json.loads(row[1]))


def section_item_count(conn: sqlite3.Connection, section_id: int) -> int:
    return int(conn.execute("SELECT COUNT(*) FROM plex_items WHERE section_id = ?", (section_id,)).fetchone()[0])


def iter_items(conn: sqlite3.Connection, section_id: int, page_size: int = 1000) -> Iterator[PlexItemRecord]:
    """Every item of a section in rating-key order, one keyset page in memory at a time."""
    after = -1
    while True:
        rows = conn.execute(
            "SELECT rating_key, fields FROM plex_items WHERE section_id = ? AND rating_key > ? "
            "ORDER BY rating_key LIMIT ?",
            (section_id, after, page_size),
        ).fetchall()
        if not rows:
            return
        keys = [row[0] for row in rows]
        parts: Dict[int, List[Tuple[str, Optional[int]]]] = {}
        wanted = set(keys)
        # A key range instead of IN (...): any page size stays within SQLite's parameter limit.
        for rating_key, path, size in conn.execute(
            "SELECT rating_key, path, size FROM plex_parts WHERE rating_key BETWEEN ? AND ? ORDER BY rowid",
            (keys[0], keys[-1]),
        ):
            if rating_key in wanted:
                parts.setdefault(rating_key, []).append((path, size))
        for rating_key, fields_json in rows:
            yield PlexItemRecord(rating_key, section_id, parts.get(rating_key, []), json.loads(fields_json))
        after = keys[-1]
