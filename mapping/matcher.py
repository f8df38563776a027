"""Which Plex item(s) hold a scene's files: full mapped path, then unique basename (+ size), then `file=`.

Duplicate basenames are common (`scene.mp4` in many folders), so a basename alone is trusted only when it
is unique or the size settles it; otherwise strict mode reports the ambiguity instead of guessing, and
non-strict mode picks the closest size, then duration.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping, Optional, Protocol, Sequence

from mapping.path_map import PathMap, normalise_path, under
from stash.scene import SceneFile
from sync_queue.index import PlexPart, basename

MATCHED = "matched"
NOT_FOUND = "not_found"
AMBIGUOUS = "ambiguous"


class PlexLookup(Protocol):
    """Index queries the matcher needs (`sync_queue.index.PlexIndex` answers them)."""

    def by_paths(self, paths: Sequence[str]) -> Mapping[str, list[PlexPart]]: ...

    def by_basenames(self, names: Sequence[str]) -> Mapping[str, list[PlexPart]]: ...


@dataclass(frozen=True)
class MatchResult:
    status: str
    rating_keys: tuple[int, ...]
    detail: str


def _pick(candidates: list[PlexPart], size: Optional[int], duration_s: Optional[float], strict: bool) -> list[int]:
    """Rating keys a basename's candidates resolve to: one key, or several when still ambiguous.

    A file name alone is weak evidence: a candidate whose size differs is another file, never a match.
    Non-strict mode breaks a remaining tie by the closest duration.
    """
    if size:
        candidates = [c for c in candidates if not c.size or c.size == size]
    keys = sorted({c.rating_key for c in candidates})
    if len(keys) <= 1 or strict:
        return keys

    def duration_gap(c: PlexPart) -> float:
        return abs(c.duration_ms / 1000.0 - duration_s) if c.duration_ms and duration_s else 0.0

    best = min(duration_gap(c) for c in candidates)
    return sorted({c.rating_key for c in candidates if duration_gap(c) == best})


def match(scene_files: Iterable[SceneFile], lookup: PlexLookup, path_map: PathMap, strict: bool = True,
          library_roots: Sequence[str] = ()) -> MatchResult:
    """Matches every file of a scene; the scene matches every item holding one of its files.

    `scene_files` are `stash.scene.SceneFile`s (path, size, duration in seconds).
    A mapped path inside one of `library_roots` (the Plex libraries' folders) is authoritative: if Plex has
    no file there, a file of the same name elsewhere is another scene's copy, so the basename fallback,
    meant for paths the mapping cannot explain, is not tried.
    """
    files = [(normalise_path(f.path or ""), f.size, f.duration) for f in scene_files]
    files = [f for f in files if f[0]]
    if not files:
        return MatchResult(NOT_FOUND, (), "scene has no files")
    mapped = {path: path_map.to_plex(path) for path, _, _ in files}
    by_path = lookup.by_paths(sorted(set(mapped.values())))
    keys: set[int] = set()
    pending = []
    notes = []
    for path, size, duration in files:
        hits = [p for p in by_path.get(mapped[path], []) if p.path == mapped[path]]
        if hits:
            keys.update(p.rating_key for p in hits)
        elif any(root and under(mapped[path], normalise_path(root)) for root in library_roots):
            notes.append(f"{mapped[path]}: no Plex item has this file")
        else:
            pending.append((path, size, duration))
    ambiguous = False
    if pending:
        by_name = lookup.by_basenames(sorted({basename(p) for p, _, _ in pending}))
        for path, size, duration in pending:
            candidates = list(by_name.get(basename(path), []))
            picked = _pick(candidates, size, duration, strict)
            if len(picked) == 1:
                keys.update(picked)
            elif picked:
                ambiguous = True
                notes.append(f"{basename(path)}: {len(picked)} Plex items share this file name")
            else:
                notes.append(f"{mapped[path]}: no Plex item has this file")
    if keys:
        return MatchResult(MATCHED, tuple(sorted(keys)), "; ".join(notes))
    return MatchResult(AMBIGUOUS if ambiguous else NOT_FOUND, (), "; ".join(notes))
