"""The in-memory shape of a simulated Plex library item.

Fields are kept as PMS names them on the wire (``title``, ``originallyAvailableAt``...) so the edit parser, the
XML renderer and the agent refresh all speak one vocabulary, and a test can reason in PMS terms.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Scalar fields an edit PUT may set with ``{name}.value`` (PMS answers 400 for any other name).
EDITABLE_FIELDS = (
    "title", "titleSort", "originalTitle", "summary", "tagline", "studio", "originallyAvailableAt", "year",
    "contentRating", "userRating", "rating", "audienceRating", "editionTitle", "addedAt",
)
# Names that can only be locked/unlocked (images and theme are not set through ``.value``).
LOCK_ONLY = ("thumb", "art", "theme")
# Tag types as the edit grammar names them, and the XML element PMS renders each as.
TAG_ELEMENTS = {
    "genre": "Genre", "country": "Country", "collection": "Collection", "director": "Director",
    "writer": "Writer", "producer": "Producer", "actor": "Role", "label": "Label",
}
# What a PMS listing page keeps of each tag list (real page: 2 Genre, 2 Country, 2 Director, 2 Writer, 3 Role;
# Collection seen at most once there, Label never). Everything else is only in the full item.
LISTING_TAG_LIMITS = {"genre": 2, "country": 2, "collection": 2, "director": 2, "writer": 2, "actor": 3}


@dataclass
class Tag:
    """One tag association; ``role``/``thumb`` only matter for actors."""

    tag: str
    role: str | None = None
    thumb: str | None = None
    tag_key: str | None = None


@dataclass
class MediaFile:
    """One Media with its single Part, as the scanner found it on disk."""

    media_id: int
    part_id: int
    file: str
    size: int
    duration_ms: int


@dataclass
class Item:
    """A movie item: current metadata plus the scanner's original values an agent refresh restores."""

    rating_key: int
    section_id: int
    files: list[MediaFile]
    added_at: int
    updated_at: int
    fields: dict[str, str] = field(default_factory=dict)
    tags: dict[str, list[Tag]] = field(default_factory=dict)
    locked: set[str] = field(default_factory=set)
    scanner_fields: dict[str, str] = field(default_factory=dict)
    posters: list[str] = field(default_factory=list)
    poster: str | None = None
    poster_uploads: int = 0
    art: str | None = None
    art_uploads: int = 0
    # The token account's play state (PMS keeps it per account, apart from the metadata: no updatedAt change).
    view_count: int = 0
    last_viewed_at: int | None = None
    view_offset: int = 0  # ms

    def tag_names(self, tag_type: str) -> list[str]:
        return [t.tag for t in self.tags.get(tag_type, [])]

    def duration_ms(self) -> int:
        return max((f.duration_ms for f in self.files), default=0)


@dataclass(frozen=True)
class ItemState:
    """A snapshot of an item for tests: plain values, safe to keep after the item changes."""

    rating_key: int
    section_id: int
    title: str | None
    title_sort: str | None
    summary: str | None
    studio: str | None
    tagline: str | None
    originally_available_at: str | None
    year: str | None
    user_rating: float | None
    content_rating: str | None
    genres: list[str]
    actors: list[tuple[str, str | None, str | None]]
    collections: list[str]
    labels: list[str]
    directors: list[str]
    writers: list[str]
    locked: frozenset[str]
    poster_sha1: str | None
    poster_uploads: int
    art_sha1: str | None
    art_uploads: int
    files: list[str]
    added_at: int
    updated_at: int
    view_count: int = 0
    last_viewed_at: int | None = None
    view_offset: int = 0

    def to_json(self) -> dict:
        """JSON-ready form for ``GET /_sim/items/{rk}`` (sets and tuples become lists)."""
        data = dict(self.__dict__)
        data["locked"] = sorted(self.locked)
        data["actors"] = [list(a) for a in self.actors]
        return data


def snapshot(item: Item) -> ItemState:
    rating = item.fields.get("userRating")
    return ItemState(
        rating_key=item.rating_key,
        section_id=item.section_id,
        title=item.fields.get("title"),
        title_sort=item.fields.get("titleSort"),
        summary=item.fields.get("summary"),
        studio=item.fields.get("studio"),
        tagline=item.fields.get("tagline"),
        originally_available_at=item.fields.get("originallyAvailableAt"),
        year=item.fields.get("year"),
        content_rating=item.fields.get("contentRating"),
        user_rating=float(rating) if rating else None,
        genres=item.tag_names("genre"),
        actors=[(t.tag, t.role, t.thumb) for t in item.tags.get("actor", [])],
        collections=item.tag_names("collection"),
        labels=item.tag_names("label"),
        directors=item.tag_names("director"),
        writers=item.tag_names("writer"),
        locked=frozenset(item.locked),
        poster_sha1=item.poster,
        poster_uploads=item.poster_uploads,
        art_sha1=item.art,
        art_uploads=item.art_uploads,
        files=[f.file for f in item.files],
        added_at=item.added_at,
        updated_at=item.updated_at,
        view_count=item.view_count,
        last_viewed_at=item.last_viewed_at,
        view_offset=item.view_offset,
    )
