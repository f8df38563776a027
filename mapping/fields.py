"""The Plex state a scene should have, per-field hashes of it, and which fields changed or were edited in Plex.

Stash is authoritative: an empty Stash value clears the Plex field, except the title (a blank title is never
pushed). A field whose sync toggle is off is absent from the desired state, so it is never touched. Values
are kept in the same forms `plex.parse` reads back from Plex, so hashes of pushed and re-read values agree.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Optional

from plex.push import MERGED_FIELDS, cut_to_fit

LIST_FIELDS = ("genres", "labels", "actors", "actorPhotos", "collections", "directors")
# Where Stash tags can go (the tags_as setting).
TAG_KINDS = ("genres", "labels")
# The lists whose pushed entries are remembered per scene (`SceneState.our_tags`): the merged ones; genres, so
# that moving tags from genres to labels can take back exactly the genres this plugin put there; and every list,
# so that emptying one removes exactly the entries it put there (`plex.push`, plexapi's removal form).
OURS_KEPT = ("genres", "labels", "collections", "actors", "directors")


@dataclass(frozen=True)
class SyncToggles:
    """Which fields to sync (the plugin's `sync_*` settings), and the longest summary this Plex takes
    (`summary_bytes`, URL-encoded; None until a server refused one: see `mapping.library.PlexLibrary.toggles`)."""

    title: bool = True
    summary: bool = True
    studio: bool = True
    date: bool = True
    rating: bool = True
    tags: bool = True
    performers: bool = True
    collection: bool = True
    director: bool = True
    parent_studio: bool = False
    groups: bool = True
    actor_photos: bool = False
    tags_as: str = "genres"  # genres, labels or both
    content_rating: str = ""  # empty: Plex's own is left alone
    summary_bytes: Optional[int] = None

    @classmethod
    def from_settings(cls, settings: Any, summary_bytes: Optional[int] = None) -> SyncToggles:
        """Reads the `sync_<name>` switches (a missing one keeps its default), tags_as and content_rating."""
        switches = {name: bool(getattr(settings, f"sync_{name}", field.default))
                    for name, field in cls.__dataclass_fields__.items() if isinstance(field.default, bool)}
        return cls(**switches, tags_as=getattr(settings, "tags_as", "genres"),
                   content_rating=getattr(settings, "content_rating", ""), summary_bytes=summary_bytes)

    def tag_kinds(self) -> tuple[str, ...]:
        """The Plex lists Stash tags go to (none when tags are not synced)."""
        if not self.tags:
            return ()
        return TAG_KINDS if self.tags_as == "both" else ("labels",) if self.tags_as == "labels" else ("genres",)

    def dropped_tag_kinds(self) -> tuple[str, ...]:
        """The tag lists tags no longer go to: what this plugin put there is taken back. With tags not synced at
        all nothing is dropped (a field switched off is left alone)."""
        return tuple(kind for kind in TAG_KINDS if kind not in self.tag_kinds()) if self.tags else ()


# Unicode category Cc is exactly U+0000-U+001F and U+007F-U+009F; newline and tab are kept.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# One encoder for every field hash (json.dumps with options builds a new one per call): the same text out.
_HASH_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def clean_text(value: Optional[str]) -> str:
    """Text as Stash has it, minus the control characters Plex rejects (newline and tab kept; CRLF -> LF)."""
    if not value:
        return ""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", value)


def clean_list(values: Iterable[Optional[str]]) -> tuple[str, ...]:
    """Order kept; blanks dropped; duplicates dropped case-insensitively (PMS folds tag case)."""
    seen: set[str] = set()
    out = []
    for value in values:
        text = clean_text(value).strip()
        key = text.casefold()
        if text and key not in seen:
            seen.add(key)
            out.append(text)
    return tuple(out)


def plex_rating(rating100: Optional[int]) -> Optional[float]:
    """Stash 0..100 -> Plex 0..10; None (unrated) clears the Plex rating."""
    if rating100 is None:
        return None
    return round(max(0, min(100, int(rating100))) / 10.0, 1)


def desired_fields(scene: Any, toggles: SyncToggles = SyncToggles()) -> dict[str, Any]:
    """The Plex fields the scene dictates: only toggled-on fields, and no title when Stash's is blank.

    `scene` is a `stash.scene.SceneMetadata` (or anything with its attributes: title, details, studio,
    studio_parent, groups, performers, performer_photos, tags, date, rating100, director). The collections are the
    studio's, its parent's and the groups' as chosen: the ones this plugin added, replaced without touching the
    user's own; labels likewise. `actorPhotos` are Stash's image links, one per actor ("" for none), without any
    key: the key is added only to the request (`plex.push.build_edit_params`), never to what is hashed or stored.
    """
    fields: dict[str, Any] = {}
    title = clean_text(scene.title).strip()
    if toggles.title and title:
        fields["title"] = title
    if toggles.summary:
        summary = clean_text(scene.details)
        fields["summary"] = cut_to_fit(summary, toggles.summary_bytes) if toggles.summary_bytes else summary
    studio = clean_text(scene.studio).strip()
    if toggles.studio:
        fields["studio"] = studio
    if toggles.date:
        fields["originallyAvailableAt"] = scene.date or ""  # already a full date (stash.scene.normalise_date)
    if toggles.rating:
        fields["userRating"] = plex_rating(scene.rating100)
    for kind in toggles.tag_kinds():
        fields[kind] = clean_list(scene.tags)
    if toggles.performers:
        fields["actors"] = clean_list(scene.performers)
        if toggles.actor_photos:
            photos = {name.casefold(): url for name, url in scene.performer_photos}
            fields["actorPhotos"] = tuple(photos.get(name.casefold(), "") for name in fields["actors"])
    parent = clean_text(scene.studio_parent).strip() if toggles.parent_studio else ""
    groups = scene.groups if toggles.groups else ()
    if toggles.collection or toggles.parent_studio or toggles.groups:
        fields["collections"] = clean_list([studio if toggles.collection else "", parent, *groups])
    if toggles.director:
        fields["directors"] = clean_list([scene.director])
    if toggles.content_rating:
        fields["contentRating"] = toggles.content_rating
    return fields


def canonical(name: str, value: Any) -> Any:
    """One JSON-able form per field, so a value read from Plex and the value pushed hash the same."""
    if name in LIST_FIELDS:
        return list(value or ())
    if name == "userRating":
        return None if value in (None, "") else round(float(value), 1)
    return value or ""


def field_hash(name: str, value: Any) -> str:
    data = _HASH_JSON.encode([name, canonical(name, value)])
    return hashlib.sha1(data.encode("utf-8")).hexdigest()[:16]


def field_hashes(fields: Mapping[str, Any]) -> dict[str, str]:
    return {name: field_hash(name, value) for name, value in fields.items()}


def content_hash(hashes: Mapping[str, str]) -> str:
    """One hash of a whole desired state, for the queue's dedup and reconciliation."""
    data = json.dumps(sorted(hashes.items()), separators=(",", ":"))
    return hashlib.sha1(data.encode("ascii")).hexdigest()[:16]


def diff(desired_hashes: Mapping[str, str], last_pushed_hashes: Optional[Mapping[str, str]]) -> set[str]:
    """Fields to push: those whose hash differs from the last push (all of them on a first sync)."""
    last = last_pushed_hashes or {}
    return {name for name, digest in desired_hashes.items() if last.get(name) != digest}


def edited_in_plex(
    current: Mapping[str, Any],
    last_pushed_hashes: Mapping[str, str],
    our_tags: Optional[Mapping[str, Iterable[str]]] = None,
    desired: Optional[Mapping[str, Any]] = None,
) -> set[str]:
    """Fields whose current Plex value differs from what we last pushed (never-pushed fields excluded).

    PMS shows a tag in the case it first met it library-wide, so a list read back may differ from what we pushed
    in letter case only: with `desired`, names are compared in the spelling Stash gives them.

    Used both for `preserve_plex_edits` (skip these fields) and for drift detection (re-push them).
    Collections and labels we do not own are the user's business: only the entries this plugin added (`our_tags`,
    by field) are compared. Actor photos are not judged (Plex may serve them from its own cache).
    With listing data (`tags_partial`, e.g. the stored index) the truncated tag lists are not judged, so only
    the scalar fields can be reported; pass the full item (`plex.push.read_item`) to judge lists too.
    """
    partial = bool(current.get("tags_partial"))
    changed = set()
    for name, pushed in last_pushed_hashes.items():
        if name not in current or (partial and name in LIST_FIELDS):
            continue
        value = current[name]
        if name in MERGED_FIELDS:
            owned = {c.casefold() for c in (our_tags or {}).get(name, ())}
            value = [c for c in value if c.casefold() in owned]
        if desired is not None and name in LIST_FIELDS:
            value = _recased(value, desired.get(name, ()))
        if field_hash(name, value) != pushed:
            changed.add(name)
    return changed


def _recased(values: Iterable[str], spellings: Iterable[str]) -> list[str]:
    """`values` with each name spelled as in `spellings` when they differ only in letter case."""
    spelled = {name.casefold(): name for name in spellings}
    return [spelled.get(value.casefold(), value) for value in values]
