"""Reading the few things we need from PMS `<Video>` elements (listings, `file=` lookups, full items).

Shared by the index, the matcher and the item read so the three agree on field names and value forms
(the same forms `mapping.fields` hashes, so a value read back compares equal to the value pushed).
"""

from __future__ import annotations

import re
from typing import Optional
from xml.etree.ElementTree import Element

# Element name in PMS XML -> our field name.
_TAG_ELEMENTS = (("Genre", "genres"), ("Label", "labels"), ("Role", "actors"), ("Collection", "collections"),
                 ("Director", "directors"))


def normalise_path(path: str) -> str:
    """One form for comparing: `\\\\?\\C:\\a\\b\\` and `C:/a/b` are equal; UNC `\\\\srv\\s` keeps its `//`."""
    if path.startswith("\\\\?\\UNC\\"):
        path = "\\\\" + path[8:]
    elif path.startswith("\\\\?\\") or path.startswith("//?/"):
        path = path[4:]
    path = path.replace("\\", "/")
    lead = "//" if path.startswith("//") else ""
    body = re.sub(r"/{2,}", "/", path[len(lead):])
    if len(body) > 1:
        body = body.rstrip("/")
    return lead + body


def to_int(value: Optional[str]) -> Optional[int]:
    """PMS numbers come as attribute strings and may be missing."""
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


def to_float(value: Optional[str]) -> Optional[float]:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


def video_parts(video: Element) -> list[tuple[str, int]]:
    """(normalised file path, size) of every Part of every Media (versions and multi-part files)."""
    parts = []
    for part in video.iterfind("Media/Part"):
        path = part.get("file")
        if path:
            parts.append((normalise_path(path), to_int(part.get("size")) or 0))
    return parts


def video_duration(video: Element) -> Optional[int]:
    """Duration in ms: the item's, else the first Media's (used only to break basename ties)."""
    duration = to_int(video.get("duration"))
    if duration is None:
        media = video.find("Media")
        duration = to_int(media.get("duration")) if media is not None else None
    return duration


def video_fields(video: Element, full: bool) -> dict:
    """The Plex-visible fields we sync, in the value forms `mapping.fields` uses.

    Listings truncate tag lists (e.g. 2 genres, 3 roles; labels not at all), so unless `full` the lists are
    flagged partial and must never be used to build an edit or to decide drift.
    """
    fields: dict = {
        "title": video.get("title") or "",
        "summary": video.get("summary") or "",
        "studio": video.get("studio") or "",
        "originallyAvailableAt": video.get("originallyAvailableAt") or "",
        "userRating": to_float(video.get("userRating")),
        "contentRating": video.get("contentRating") or "",
    }
    for element, name in _TAG_ELEMENTS:
        fields[name] = [t.get("tag") or "" for t in video.iterfind(element)]
    fields["tags_partial"] = not full
    if full:  # listings carry no <Field locked> elements: absent there means unknown, not unlocked
        fields["locked"] = sorted(f.get("name") or "" for f in video.iterfind("Field") if f.get("locked") == "1")
    duration = video_duration(video)
    if duration is not None:
        fields["duration"] = duration
    watch = video_watch(video)
    if watch is not None:
        fields["watch"] = watch
    return fields


def video_watch(video: Element) -> Optional[list]:
    """[viewCount, lastViewedAt (epoch s or None), viewOffset (ms)] of the token's account, or None for an item
    never played nor started (PMS omits the attributes at zero)."""
    views, offset = to_int(video.get("viewCount")) or 0, to_int(video.get("viewOffset")) or 0
    if not views and not offset:
        return None
    return [views, to_int(video.get("lastViewedAt")), offset]
