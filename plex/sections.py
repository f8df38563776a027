"""Plex's movie sections and their listings: what the stored index is built from, and `file=` lookups.

One pass of ceil(N / page_size) GETs per section instead of a lookup per scene; records are yielded page by
page so a 100k-item library never sits in memory at once (the caller stores them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Optional
from urllib.parse import quote

from plex.errors import PlexTransient
from plex.parse import normalise_path, to_int, video_fields, video_parts
from plex.wire import PlexWire
from sync_queue.index import PlexItemRecord, PlexPart


@dataclass(frozen=True)
class SectionInfo:
    """A movie section; `scanned_at` tells the caller whether its stored index is stale."""

    key: int
    title: str
    scanned_at: Optional[int]
    locations: tuple[str, ...] = ()


def list_sections(plex: PlexWire, wanted_titles: Iterable[str] = ()) -> tuple[list[SectionInfo], list[str]]:
    """Movie sections whose title is wanted (all movie sections when none named), and wanted titles not found.

    Titles compare case-insensitively; a wanted title that names a non-movie section counts as not found.
    """
    root = plex.request_xml("GET", "/library/sections")
    wanted = [t.strip() for t in wanted_titles if t and t.strip()]
    folded = {t.casefold() for t in wanted}
    sections = []
    for directory in root.iterfind("Directory"):
        title = directory.get("title") or ""
        if directory.get("type") != "movie" or (folded and title.casefold() not in folded):
            continue
        sections.append(SectionInfo(
            key=int(directory.get("key", "0")),
            title=title,
            scanned_at=to_int(directory.get("scannedAt")),
            locations=tuple(loc.get("path") or "" for loc in directory.iterfind("Location")),
        ))
    found = {s.title.casefold() for s in sections}
    return sections, [t for t in wanted if t.casefold() not in found]


def records_from(container: Any, section_id: int) -> Iterator[PlexItemRecord]:
    """Records of the `<Video>` children of a listing container (tag lists marked partial)."""
    for video in container.iterfind("Video"):
        rating_key = to_int(video.get("ratingKey"))
        if rating_key is None:
            continue
        yield PlexItemRecord(rating_key, section_id, video_parts(video), video_fields(video, full=False))


def iter_section_items(plex: PlexWire, section: SectionInfo, page_size: int = 1000) -> Iterator[PlexItemRecord]:
    """Every movie of the section, one raw GET per page (X-Plex-Container-Start/Size headers).

    Paged by date added, not PMS's default title order: the plugin renames items, and a rename would move an
    item across a page boundary mid-walk (read twice or never). Raises PlexTransient when the section changed
    while it was read (a different totalSize, or fewer items than it announced), so the caller reads again.
    """
    start, total = 0, None
    while True:
        headers = {"X-Plex-Container-Start": str(start), "X-Plex-Container-Size": str(page_size)}
        root = plex.request_xml("GET", f"/library/sections/{section.key}/all?type=1&sort=addedAt", headers)
        announced = to_int(root.get("totalSize"))
        if total is not None and announced is not None and announced != total:
            raise PlexTransient(f"Plex library {section.title!r} changed while it was read ({total} then "
                                f"{announced} items)")
        total = announced if total is None else total
        count = 0
        for record in records_from(root, section.key):
            count += 1
            yield record
        start += count
        if count == 0 or (total is not None and start >= total) or (total is None and count < page_size):
            if total is not None and start < total:
                raise PlexTransient(f"Plex library {section.title!r} listed {start} of {total} items")
            return


def find_by_file(plex: PlexWire, section_key: int, path: str) -> list[PlexPart]:
    """Targeted lookup for a file Plex may have just scanned: PMS's `file=` filter, confirmed client-side.

    The filter is undocumented and not exact (it can return a whole folder), so only Parts whose file equals
    `path` count. One GET; no results is an empty list, not an error.
    """
    want = normalise_path(path)
    key = f"/library/sections/{int(section_key)}/all?type=1&file={quote(path, safe='')}"
    # Paged like any listing: a PMS that ignored `file` would otherwise send the whole section at once.
    root = plex.request_xml("GET", key, {"X-Plex-Container-Start": "0", "X-Plex-Container-Size": "50"})
    return [PlexPart(record.rating_key, part_path, size, record.duration_ms)
            for record in records_from(root, int(section_key)) for part_path, size in record.parts
            if part_path == want]
