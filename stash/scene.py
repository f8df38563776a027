"""A Stash scene reduced to what Plex can show, normalised across the Stash versions we support (v0.24+).

Downstream code (matching, field diff, hashing) compares these values, so the normal form matters: names keep
Stash's order, missing text is "", partial dates become the first day of the period Plex can store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date as _date
from typing import Any, Optional, Tuple
from urllib.parse import urlsplit


@dataclass(frozen=True)
class SceneFile:
    path: str
    size: Optional[int]
    duration: Optional[float]


@dataclass(frozen=True)
class SceneMetadata:
    scene_id: int
    title: str
    details: str
    studio: Optional[str]
    performers: Tuple[str, ...]
    tags: Tuple[str, ...]
    date: Optional[str]
    rating100: Optional[int]
    updated_at: str
    files: Tuple[SceneFile, ...]
    cover_url: Optional[str]
    director: str = ""
    studio_parent: Optional[str] = None
    organized: bool = False
    has_stash_id: bool = False
    groups: Tuple[str, ...] = ()
    performer_photos: Tuple[Tuple[str, str], ...] = ()  # (name, Stash's image link) of performers with an image


NOT_IN_PLEX_TAG = "Stash2Plex: not in Plex"  # this plugin's mark in Stash (stash.tagging), never synced to Plex


def to_metadata(scene: dict) -> SceneMetadata:
    """Builds SceneMetadata from a findScene(s) result; unknown or missing fields get neutral values."""
    studio = scene.get("studio") or {}
    parent = studio.get("parent_studio") or {}
    paths = scene.get("paths") or {}
    return SceneMetadata(
        scene_id=int(scene["id"]),
        title=scene.get("title") or "",
        details=scene.get("details") or "",
        studio=studio.get("name") or None,
        performers=_names(scene.get("performers")),
        tags=tuple(name for name in _names(scene.get("tags")) if name != NOT_IN_PLEX_TAG),
        date=normalise_date(scene.get("date")),
        rating100=_rating(scene.get("rating100")),
        updated_at=scene.get("updated_at") or "",
        files=tuple(_file(f) for f in scene.get("files") or () if isinstance(f, dict) and f.get("path")),
        cover_url=paths.get("screenshot") or None,
        director=scene.get("director") or "",
        studio_parent=parent.get("name") or None,
        organized=bool(scene.get("organized")),
        has_stash_id=any(isinstance(s, dict) and s.get("stash_id") for s in scene.get("stash_ids") or ()),
        groups=_names(m.get("movie") for m in scene.get("movies") or () if isinstance(m, dict)),
        performer_photos=tuple((p["name"], p["image_path"]) for p in scene.get("performers") or ()
                               if isinstance(p, dict) and p.get("name") and has_image(p.get("image_path"))),
    )


def has_image(link: Any) -> bool:
    """Whether a performer's image link is a real picture: Stash links its placeholder with `default=true`
    (internal/api/urlbuilders/performer.go)."""
    return isinstance(link, str) and bool(link) and "default=true" not in urlsplit(link).query.split("&")


def normalise_date(value: Any) -> Optional[str]:
    """Stash v0.30 stores YYYY, YYYY-MM or YYYY-MM-DD; Plex needs a full date, so use the period's first day."""
    if not isinstance(value, str):
        return None
    parts = value.strip().split("-")
    if not 1 <= len(parts) <= 3 or not all(p.isdigit() for p in parts):
        return None
    numbers = [int(p) for p in parts] + [1] * (3 - len(parts))
    try:
        return _date(numbers[0], numbers[1], numbers[2]).isoformat()
    except ValueError:
        return None


def _names(items: Any) -> Tuple[str, ...]:
    return tuple(i["name"] for i in items or () if isinstance(i, dict) and i.get("name"))


def _rating(value: Any) -> Optional[int]:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return int(value) if 1 <= value <= 100 else None


def _file(raw: dict) -> SceneFile:
    size = raw.get("size")
    duration = raw.get("duration")
    return SceneFile(
        path=raw["path"],
        size=int(size) if isinstance(size, (int, float)) and not isinstance(size, bool) else None,
        duration=float(duration) if isinstance(duration, (int, float)) and not isinstance(duration, bool) else None,
    )
