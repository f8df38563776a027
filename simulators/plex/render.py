"""PMS-shaped XML for every endpoint, written as strings (a 1000-item page must render in milliseconds).

Shapes follow shared/plex-fixtures: hoisted ``librarySectionID`` on containers, ``Media/Part`` nesting, listing
items that carry only ``tag=`` on truncated tag lists, full items with ids, ``filter=`` and ``<Field locked>``.
Empty attributes are omitted, as PMS does, so plexapi reads them as None and auto-reloads partial items.
"""

from __future__ import annotations

from typing import Callable
from urllib.parse import quote

from simulators.plex.library import Section
from simulators.plex.model import LISTING_TAG_LIMITS, TAG_ELEMENTS, Item, MediaFile

VERSION = "1.41.3.9314-a0bfb8370"
IDENTIFIER = "com.plexapp.plugins.library"
_HEADER = '<?xml version="1.0" encoding="UTF-8"?>\n'
_ESCAPES = str.maketrans({
    "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;",
})
# Element order inside a Video, as in the real responses.
_TAG_ORDER = ("genre", "country", "collection", "director", "writer", "producer", "actor", "label")
_FIELD_ORDER = ("title", "titleSort", "originalTitle", "studio", "contentRating", "summary", "tagline", "year",
                "userRating", "rating", "audienceRating", "editionTitle", "originallyAvailableAt")

TagIds = Callable[[str, str], int]


def attrs(pairs: list[tuple[str, object]]) -> str:
    """Renders attributes, dropping None/empty ones; newlines become &#10; so they survive XML parsing."""
    out = []
    for name, value in pairs:
        if value is None or value == "":
            continue
        out.append(f' {name}="{str(value).translate(_ESCAPES)}"')
    return "".join(out)


def root(machine_id: str, friendly_name: str) -> str:
    head = attrs([
        ("size", 3), ("allowMediaDeletion", 1), ("friendlyName", friendly_name), ("machineIdentifier", machine_id),
        ("myPlex", 0), ("platform", "Linux"), ("platformVersion", "simulated"), ("transcoderVideo", 0),
        ("updatedAt", 1748772000), ("version", VERSION),
    ])
    children = "".join(f'<Directory count="1" key="{k}" title="{k}" />\n' for k in ("activities", "library", "search"))
    return f"{_HEADER}<MediaContainer{head}>\n{children}</MediaContainer>\n"


def identity(machine_id: str) -> str:
    head = attrs([("size", 0), ("claimed", 1), ("machineIdentifier", machine_id), ("version", VERSION)])
    return f"{_HEADER}<MediaContainer{head} />\n"


def accounts(owner: str) -> str:
    """`GET /accounts` for the owner's token: the system account (id 0) and the owner (id 1), as plexapi's
    `SystemAccount` reads them (`server.py` `_systemAccounts`)."""
    rows = "".join(f"<Account{attrs([('id', i), ('key', f'/accounts/{i}'), ('name', name)])} />\n"
                   for i, name in ((0, ""), (1, owner)))
    return f"{_HEADER}<MediaContainer{attrs([('size', 2)])}>\n{rows}</MediaContainer>\n"


def library() -> str:
    head = attrs([("size", 2), ("allowSync", 0), ("identifier", IDENTIFIER), ("title1", "Plex Library")])
    dirs = '<Directory key="sections" title="Library Sections" />\n<Directory key="recentlyAdded" title="Recent" />\n'
    return f"{_HEADER}<MediaContainer{head}>\n{dirs}</MediaContainer>\n"


def sections(all_sections: list[Section]) -> str:
    parts = []
    for s in all_sections:
        head = attrs([
            ("allowSync", 0), ("art", "/:/resources/movie-fanart.jpg"), ("filters", 1), ("refreshing", 0),
            ("thumb", "/:/resources/movie.png"), ("key", s.key), ("type", "movie"), ("title", s.title),
            ("agent", "tv.plex.agents.movie"), ("scanner", "Plex Movie"), ("language", "en-US"), ("uuid", s.uuid),
            ("updatedAt", s.updated_at), ("createdAt", s.created_at), ("scannedAt", s.scanned_at), ("content", 1),
            ("directory", 1), ("contentChangedAt", s.content_changed_at), ("hidden", 0),
        ])
        parts.append(f'<Directory{head}>\n<Location id="{s.key}" path="{s.location.translate(_ESCAPES)}" />\n'
                     "</Directory>\n")
    head = attrs([("size", len(all_sections)), ("allowSync", 0), ("title1", "Plex Library")])
    return f"{_HEADER}<MediaContainer{head}>\n{''.join(parts)}</MediaContainer>\n"


def listing(section: Section, items: list[Item], offset: int, total: int, tag_ids: TagIds) -> str:
    head = attrs([
        ("size", len(items)), ("totalSize", total), ("offset", offset), ("allowSync", 1),
        ("art", "/:/resources/movie-fanart.jpg"), ("content", "secondary"), ("identifier", IDENTIFIER),
        ("librarySectionID", section.key), ("librarySectionTitle", section.title),
        ("librarySectionUUID", section.uuid), ("mediaTagPrefix", "/system/bundle/media/flags/"),
        ("mediaTagVersion", 1748772000), ("thumb", "/:/resources/movie.png"), ("title1", section.title),
        ("title2", "All Movies"), ("viewGroup", "movie"),
    ])
    body = "".join(_video(section, item, tag_ids, full=False) for item in items)
    return f"{_HEADER}<MediaContainer{head}>\n{body}</MediaContainer>\n"


def full_item(section: Section, item: Item, tag_ids: TagIds) -> str:
    head = attrs([
        ("size", 1), ("allowSync", 1), ("identifier", IDENTIFIER), ("librarySectionID", section.key),
        ("librarySectionTitle", section.title), ("librarySectionUUID", section.uuid),
        ("mediaTagPrefix", "/system/bundle/media/flags/"), ("mediaTagVersion", 1748772000),
    ])
    return f"{_HEADER}<MediaContainer{head}>\n{_video(section, item, tag_ids, full=True)}</MediaContainer>\n"


def posters(item: Item) -> str:
    photos = []
    for digest in item.posters:
        key = f"/library/metadata/{item.rating_key}/file?url={quote(f'upload://posters/{digest}', safe='')}"
        photo = attrs([("key", key), ("ratingKey", f"upload://posters/{digest}"), ("provider", "local"),
                       ("selected", int(digest == item.poster)), ("thumb", key)])
        photos.append(f"<Photo{photo} />\n")
    head = attrs([("identifier", IDENTIFIER), ("mediaTagPrefix", "/system/bundle/media/flags/"),
                  ("size", len(photos))])
    return f"{_HEADER}<MediaContainer{head}>\n{''.join(photos)}</MediaContainer>\n"


def empty_container() -> str:
    return f'{_HEADER}<MediaContainer size="0" />\n'


def html_error(status: int, reason: str) -> str:
    """PMS answers errors with a tiny HTML page (plexapi puts its text into the exception message)."""
    return f"<html><head><title>{reason}</title></head><body><h1>{status} {reason}</h1></body></html>"


def _video(section: Section, item: Item, tag_ids: TagIds, full: bool) -> str:
    rk = item.rating_key
    f = item.fields
    pairs: list[tuple[str, object]] = [
        ("ratingKey", rk), ("key", f"/library/metadata/{rk}"), ("guid", f"local://{rk}"), ("studio", f.get("studio")),
        ("type", "movie"), ("title", f.get("title")),
    ]
    if full:
        pairs += [("librarySectionTitle", section.title), ("librarySectionID", section.key),
                  ("librarySectionKey", f"/library/sections/{section.key}")]
    pairs += [(name, f.get(name)) for name in _FIELD_ORDER if name not in ("title", "studio")]
    pairs += [
        ("thumb", f"/library/metadata/{rk}/thumb/{item.updated_at}"),
        ("art", f"/library/metadata/{rk}/art/{item.updated_at}" if item.art else None),
        ("duration", item.duration_ms()), ("addedAt", item.added_at), ("updatedAt", item.updated_at),
        ("viewOffset", item.view_offset or None), ("viewCount", item.view_count or None),
        ("lastViewedAt", item.last_viewed_at),
    ]
    children = [_media(m) for m in item.files]
    for tag_type in _TAG_ORDER:
        tags = item.tags.get(tag_type, [])
        if not full:
            tags = tags[: LISTING_TAG_LIMITS.get(tag_type, 0)]
        element = TAG_ELEMENTS[tag_type]
        for t in tags:
            if full:
                tid = tag_ids(tag_type, t.tag)
                extra = attrs([("id", tid), ("filter", f"{tag_type}={tid}"), ("tag", t.tag), ("tagKey", t.tag_key),
                               ("role", t.role), ("thumb", t.thumb)])
            else:
                extra = attrs([("tag", t.tag)])
            children.append(f"<{element}{extra} />\n")
    if full:
        children += [f'<Field locked="1" name="{name}" />\n' for name in sorted(item.locked)]
    return f"<Video{attrs(pairs)}>\n{''.join(children)}</Video>\n"


def _media(m: MediaFile) -> str:
    container = m.file.rsplit(".", 1)[-1].lower() if "." in m.file else "mp4"
    media = attrs([("id", m.media_id), ("duration", m.duration_ms), ("width", 1920), ("height", 1080),
                   ("videoCodec", "h264"), ("videoResolution", "1080"), ("container", container)])
    part = attrs([("id", m.part_id), ("key", f"/library/parts/{m.part_id}/1748772000/file.{container}"),
                  ("duration", m.duration_ms), ("file", m.file), ("size", m.size), ("container", container)])
    return f"<Media{media}>\n<Part{part} />\n</Media>\n"
