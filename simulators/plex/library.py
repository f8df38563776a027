"""The simulated PMS library: sections, items, pending (not yet scanned) files, and every state change.

Built from ``simulators.dataset.generate(seed, n)`` so a Plex simulator in another process holds exactly the
files the Stash simulator serves. One lock guards all state: the HTTP server is threaded and a listing must never
see an item half-edited.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, replace
from pathlib import PurePosixPath

from simulators import dataset
from simulators.plex.edits import EditRequest, apply_edit, parse_edit, set_field
from simulators.plex.model import EDITABLE_FIELDS, TAG_ELEMENTS, Item, ItemState, MediaFile, Tag, snapshot

SCENE_SECTION = 1
OTHER_SECTION = 2
SCENE_KEY_BASE = 10000  # scene N -> ratingKey 10000 + N (stable across processes and restarts)
_EPOCH = 1748772000  # 2025-06-01 12:00 UTC, the dataset's base time
_OTHER_MOVIES = [
    ("Harbor Lights (1998)", 5_400_000, 1_900_000_000),
    ("The Quiet Orchard (2004)", 6_100_000, 2_300_000_000),
    ("Static Horizon (2012)", 5_900_000, 3_100_000_000),
    ("Night Ferry (2019)", 7_000_000, 4_200_000_000),
]


@dataclass
class Section:
    key: int
    title: str
    location: str
    uuid: str
    created_at: int
    updated_at: int
    scanned_at: int
    content_changed_at: int


class PlexLibrary:
    """All sections and items; methods are the operations PMS performs, each under the one lock."""

    def __init__(self, scenes: int, seed: int) -> None:
        self.lock = threading.RLock()
        self.scene_library = dataset.generate(seed, scenes)
        self.sections: dict[int, Section] = {
            SCENE_SECTION: _section(SCENE_SECTION, "Stash Scenes", dataset.PLEX_ROOT),
            OTHER_SECTION: _section(OTHER_SECTION, "Other Movies", "/media/other"),
        }
        self.items: dict[int, Item] = {}
        self.pending: dict[int, Item] = {}
        self._by_path: dict[str, int] = {}
        self._tag_spellings: dict[tuple[str, str], str] = {}
        self._tag_ids: dict[tuple[str, str], int] = {}
        self._person_photos: dict[str, str] = {}  # actor name (casefolded) -> the person's photo, server-wide
        for scene_id in self.scene_library.scenes:
            if dataset.in_plex(scene_id):
                self._insert(self._scene_item(scene_id))
        for i, (name, duration, size) in enumerate(_OTHER_MOVIES, start=1):
            path = f"/media/other/{name}/{name}.mkv"
            self._insert(_new_item(500 + i, OTHER_SECTION, [(path, size, duration)], _EPOCH - 86400 * i))

    # -- lookups -------------------------------------------------------------------------------------------

    def get(self, rating_key: int) -> Item | None:
        return self.items.get(rating_key)

    def state(self, rating_key: int) -> ItemState:
        with self.lock:
            return snapshot(self.items[rating_key])

    def rating_key_for_path(self, plex_file: str) -> int | None:
        return self._by_path.get(plex_file)

    def listing(self, section_id: int, title: str | None, file: str | None, sort: str | None = None) -> list[Item]:
        """Items of a section in PMS's order: titleSort by default (the recorded library_sections_1_all_page.xml
        lists "4 for Texas, 9½ Weeks, 10,000 BC, …"), so a rename moves an item between pages; ``sort=addedAt``
        (``:desc``) and ``titleSort`` as PMS offers them. ``title``/``file`` match as substrings."""
        with self.lock:
            items = [i for i in self.items.values() if i.section_id == section_id]
            if title:
                needle = title.casefold()
                items = [i for i in items if needle in i.fields.get("title", "").casefold()]
            if file:
                items = [i for i in items if any(file in f.file for f in i.files)]
            key, _, direction = (sort or "titleSort").partition(":")
            if key == "addedAt":
                ordered = sorted(items, key=lambda i: (i.added_at, i.rating_key))
            else:
                ordered = sorted(items, key=lambda i: ((i.fields.get("titleSort") or i.fields.get("title") or "")
                                                       .casefold(), i.rating_key))
            return ordered[::-1] if direction == "desc" else ordered

    def tag_id(self, tag_type: str, name: str) -> int:
        """PMS gives each (type, name) one id shared by all items; ids appear in the full item's XML."""
        with self.lock:
            key = (tag_type, name)
            if key not in self._tag_ids:
                self._tag_ids[key] = 1000 + len(self._tag_ids)
            return self._tag_ids[key]

    # -- writes --------------------------------------------------------------------------------------------

    def edit(self, rating_keys: list[int], pairs: list[tuple[str, str]]) -> EditRequest:
        """One edit PUT applied to every listed item; raises EditError/KeyError before changing anything."""
        req = parse_edit(pairs)
        with self.lock:
            items = [self.items[rk] for rk in rating_keys]
            for item in items:
                if apply_edit(item, req, self._spelling):
                    self._touch(item)
            photos = {e["tag.tag"].casefold(): e["tag.thumb"] for e in req.replace.get("actor", {}).values()
                      if e.get("tag.tag") and e.get("tag.thumb")}
            self._person_photos.update(photos)
            self._show_photos(self.items.values() if photos else items)
        return req

    def _show_photos(self, items) -> None:
        """`actor[i].tag.thumb` sets the photo of the person (the tag), not of this item's role: every item with
        that actor shows it (simulators/FIDELITY.md); caller holds the lock."""
        for item in items:
            actors = item.tags.get("actor")
            if actors:
                item.tags["actor"] = [replace(t, thumb=self._person_photos.get(t.tag.casefold(), t.thumb))
                                      for t in actors]

    def _spelling(self, tag_type: str, name: str) -> str:
        """The spelling a tag already has library-wide (first written wins); caller holds the lock."""
        return self._tag_spellings.setdefault((tag_type, name.casefold()), name)

    def rate(self, rating_key: int, rating: float) -> None:
        """``/:/rate``: 0..10 sets the user rating, -1 clears it (what plexapi sends for ``rate(None)``)."""
        with self.lock:
            item = self.items[rating_key]
            set_field(item, "userRating", "" if rating < 0 else _number(rating))
            self._touch(item)

    def scrobble(self, rating_key: int, when: int | None = None) -> None:
        """``/:/scrobble`` (plexapi ``markPlayed``), or a player finishing the item: one more view now, and the
        resume point gone."""
        with self.lock:
            item = self.items[rating_key]
            item.view_count += 1
            item.last_viewed_at = self._now(item.last_viewed_at or 0) if when is None else when
            item.view_offset = 0

    def unscrobble(self, rating_key: int) -> None:
        """``/:/unscrobble`` (plexapi ``markUnplayed``): unwatched, no views, no resume point."""
        with self.lock:
            item = self.items[rating_key]
            item.view_count, item.view_offset = 0, 0

    def progress(self, rating_key: int, offset_ms: int) -> None:
        """``/:/progress`` (plexapi ``updateProgress``), or a player stopping part-way: the resume point, and
        the time it was set as the last view time."""
        with self.lock:
            item = self.items[rating_key]
            item.view_offset = offset_ms
            item.last_viewed_at = self._now(item.last_viewed_at or 0)

    def upload_image(self, rating_key: int, kind: str, content: bytes) -> str:
        """A poster/art upload becomes the selected image and locks it, as PMS does for API-picked images."""
        digest = hashlib.sha1(content).hexdigest()
        with self.lock:
            item = self.items[rating_key]
            if kind == "poster":
                item.poster = digest
                item.poster_uploads += 1
                if digest not in item.posters:
                    item.posters.append(digest)
                item.locked.add("thumb")
            else:
                item.art = digest
                item.art_uploads += 1
                item.locked.add("art")
            self._touch(item)
        return digest

    def agent_refresh(self, rating_key: int) -> None:
        """"Refresh metadata": unlocked fields go back to the scanner's values, unlocked tag types are emptied."""
        with self.lock:
            item = self.items[rating_key]
            for name in EDITABLE_FIELDS:
                if name in item.locked or name == "userRating":
                    continue
                set_field(item, name, item.scanner_fields.get(name, ""))
            for tag_type in TAG_ELEMENTS:
                if tag_type not in item.locked:
                    item.tags.pop(tag_type, None)
            if "thumb" not in item.locked:
                item.poster = None
            if "art" not in item.locked:
                item.art = None
            self._touch(item)

    def scan(self, section_id: int, path: str | None = None, force: bool = False) -> list[int]:
        """A section scan: pending files (under ``path`` if given) become items; ``force`` also refreshes all."""
        with self.lock:
            section = self.sections[section_id]
            folder = path.rstrip("/") + "/" if path else ""  # a whole folder: /data/new is not /data/newer
            added = [
                rk for rk, item in sorted(self.pending.items())
                if item.section_id == section_id and any(f.file.startswith(folder) for f in item.files)
            ]
            now = self._now(section.scanned_at)
            for rk in added:
                item = self.pending.pop(rk)
                item.added_at = item.updated_at = now
                self._insert(item)
            if force:
                for item in self.listing(section_id, None, None):
                    self.agent_refresh(item.rating_key)
            section.scanned_at = now
            if added:
                section.updated_at = now
                section.content_changed_at += 1
            return added

    def add_scene(self, scene_id: str) -> int:
        """Puts a scene Plex does not have on "disk": it becomes an item at the next scan of its section."""
        with self.lock:
            if str(scene_id) not in self.scene_library.scenes:
                raise KeyError(f"no scene {scene_id} in the dataset")
            item = self._scene_item(str(scene_id))
            if item.rating_key in self.items or item.rating_key in self.pending:
                raise ValueError(f"scene {scene_id} is already in Plex")
            self.pending[item.rating_key] = item
            return item.rating_key

    def add_file(self, plex_file: str, size: int, duration_ms: int, section_id: int = 1) -> int:
        """A new file on Plex's "disk" (e.g. one a Stash scan just found): an item at the next scan of its folder,
        as the scanner makes it (title from the file name). Returns the ratingKey it will have."""
        with self.lock:
            rating_key = max(list(self.items) + list(self.pending)) + 1
            self.pending[rating_key] = _new_item(rating_key, section_id, [(plex_file, size, duration_ms)], 0)
            return rating_key

    def rekey(self, rating_key: int) -> int:
        """PMS lost an item and a scan found its file again: the same file under a new ratingKey, with only what
        the scanner knows (the metadata edits and locks are gone). The section's scannedAt moves, as a scan's
        does. Returns the new ratingKey."""
        with self.lock:
            old = self.items.pop(rating_key)
            new_key = max(list(self.items) + list(self.pending) + [rating_key]) + 1
            files = [(f.file, f.size, f.duration_ms) for f in old.files]
            section = self.sections[old.section_id]
            section.scanned_at = self._now(section.scanned_at)
            self._insert(_new_item(new_key, old.section_id, files, section.scanned_at))
            return new_key

    def user_edit(self, rating_key: int, **changes: object) -> ItemState:
        """An edit made in the Plex UI: every touched field/tag type gets locked, as the web app does.

        Keys: any editable field (``title="X"``), a tag type plural with the full new list (``genres=[...]``,
        ``actors=[("Name", "Role", None)]``), or ``remove_<type>=`` a name or list (``remove_genre="Drama"``).
        """
        with self.lock:
            item = self.items[rating_key]
            for key, value in changes.items():
                _user_change(item, key, value)
            self._touch(item)
            return snapshot(item)

    # -- internals -----------------------------------------------------------------------------------------

    def _scene_item(self, scene_id: str) -> Item:
        scene = self.scene_library.scenes[scene_id]
        files = [(dataset.plex_path(f["path"]), f["size"], round(f["duration"] * 1000)) for f in scene["files"]]
        return _new_item(SCENE_KEY_BASE + int(scene_id), SCENE_SECTION, files, _EPOCH + int(scene_id) * 60)

    def _insert(self, item: Item) -> None:
        self.items[item.rating_key] = item
        for f in item.files:
            self._by_path[f.file] = item.rating_key

    def _touch(self, item: Item) -> None:
        item.updated_at = self._now(item.updated_at)
        self.sections[item.section_id].content_changed_at += 1

    @staticmethod
    def _now(previous: int) -> int:
        """Wall-clock seconds, but strictly after ``previous`` so two quick edits never share an updatedAt."""
        return max(int(time.time()), previous + 1)


def _section(key: int, title: str, location: str) -> Section:
    uuid = hashlib.sha1(f"section-{key}".encode()).hexdigest()
    uuid = f"{uuid[:8]}-{uuid[8:12]}-{uuid[12:16]}-{uuid[16:20]}-{uuid[20:32]}"
    return Section(key, title, location, uuid, _EPOCH, _EPOCH, _EPOCH, 1)


def _new_item(rating_key: int, section_id: int, files: list[tuple[str, int, int]], added_at: int) -> Item:
    """What the Plex scanner makes of an unmatched file: title from the filename stem, nothing else."""
    media = [
        MediaFile(media_id=rating_key * 10 + k, part_id=rating_key * 10 + k, file=path, size=size, duration_ms=dur)
        for k, (path, size, dur) in enumerate(files)
    ]
    stem = PurePosixPath(files[0][0]).stem
    scanner = {"title": stem, "titleSort": stem}
    return Item(rating_key=rating_key, section_id=section_id, files=media, added_at=added_at, updated_at=added_at,
                fields=dict(scanner), scanner_fields=scanner)


def _user_change(item: Item, key: str, value: object) -> None:
    if key.startswith("remove_"):
        tag_type = key[len("remove_"):]
        if tag_type not in TAG_ELEMENTS:
            raise KeyError(f"unknown tag type {tag_type}")
        names = [value] if isinstance(value, str) else list(value)  # type: ignore[arg-type]
        item.tags[tag_type] = [t for t in item.tags.get(tag_type, []) if t.tag not in names]
        item.locked.add(tag_type)
    elif key in EDITABLE_FIELDS:
        set_field(item, key, "" if value is None else str(value))
        item.locked.add(key)
    elif key.endswith("s") and key[:-1] in TAG_ELEMENTS:
        tag_type = key[:-1]
        item.tags[tag_type] = [Tag(*v) if isinstance(v, (tuple, list)) else Tag(str(v)) for v in value]  # type: ignore[union-attr]
        item.locked.add(tag_type)
    else:
        raise KeyError(f"unknown user edit {key}")


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
