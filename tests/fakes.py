"""In-memory Stash and Plex for fast tests of the policy code, built on the production types.

`FakeStash` satisfies `stash.client.StashSource` and answers with the GraphQL shapes `stash.client` returns
(`ScenePage`, `Cover`); `FakePlex` satisfies `plex.client.PlexApi`, lists `SectionInfo`/`PlexItemRecord` as
`plex.sections` parses them, and applies edits with the parameter grammar `plex.push.build_edit_params`
writes. `make_context` wires them to a real `Store` on a temporary file, as huey's tests run on MemoryHuey:
the worker, reconciliation and task code under test is the production code.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Optional, Sequence
from urllib.parse import unquote

from plex.errors import PlexAnswerLost, PlexDown, PlexNotFound, PlexTooLong, PlexUnauthorized
from plex.push import encode_params
from plex.sections import SectionInfo
from plugin.settings import Settings, load_settings
from stash.client import Cover, ScenePage
from stash.errors import StashUnavailable
from stash.scene import SceneMetadata
from sync_queue import Store
from sync_queue.index import PlexItemRecord, PlexPart
from worker.context import Context

T0 = "2024-05-01T08:00:00Z"
LISTING_TAG_LIMIT = 2  # PMS listings show only the first few tags of each kind


def scene(scene_id: int, title: str = "", path: str | None = None, size: int = 1000, updated_at: str = T0,
          studio: str | None = "Studio", tags: Sequence[str] = ("Tag",), performers: Sequence[str] = ("Ava",),
          details: str = "", date: str | None = "2024-01-02", rating100: int | None = 80,
          cover: bool = True, organized: bool = True, director: str = "") -> dict:
    """A scene as `findScenes` answers it."""
    return {
        "id": str(scene_id), "title": title or f"Scene {scene_id}", "details": details, "date": date,
        "rating100": rating100, "updated_at": updated_at, "created_at": updated_at, "organized": organized,
        "director": director, "stash_ids": [],
        "files": [{"path": path or f"/data/scene-{scene_id}.mp4", "size": size, "duration": 60.0}],
        "paths": {"screenshot": f"http://stash/scene/{scene_id}/screenshot" if cover else None},
        "studio": {"id": "1", "name": studio} if studio else None,
        "performers": [{"id": str(i), "name": n, "image_path": f"http://stash/performer/{i}/image?t=1"}
                       for i, n in enumerate(performers)],
        "tags": [{"id": str(i), "name": n} for i, n in enumerate(tags)],
    }


def metadata(**fields) -> SceneMetadata:
    """A `SceneMetadata` (the production type mapping.fields reads) with neutral values for what is not given."""
    base = dict(scene_id=1, title="", details="", studio=None, performers=(), tags=(), date=None, rating100=None,
                updated_at=T0, files=(), cover_url=None)
    return SceneMetadata(**{**base, **fields})


class FakeStash:
    """`StashSource` over a dict of scenes; counts queries; `down` makes every call fail as Stash would."""

    def __init__(self, scenes: Sequence[dict] = ()) -> None:
        self.scenes = {int(s["id"]): s for s in scenes}
        self.covers: dict[int, bytes] = {}
        self.queries = 0
        self.down = False

    def _ask(self) -> None:
        self.queries += 1
        if self.down:
            raise StashUnavailable("Stash is not reachable at http://stash (connection refused).")

    def scenes_by_ids(self, ids: Sequence[int]) -> list[dict]:
        self._ask()
        return [self.scenes[i] for i in ids if i in self.scenes]

    def scene_pages(self, per_page: int = 250, updated_since=None) -> Iterator[ScenePage]:
        self._ask()
        since = updated_since.timestamp() if updated_since is not None else None
        from sync_queue.timestamps import parse_instant

        chosen = [s for _, s in sorted(self.scenes.items())
                  if since is None or parse_instant(s["updated_at"]) > since]
        for page, start in enumerate(range(0, len(chosen), per_page), 1):
            yield ScenePage(chosen[start:start + per_page], len(chosen), page)

    def scene_ids_for(self, kind: str, entity_id: int) -> Iterator[int]:
        self._ask()
        key = {"performer": "performers", "tag": "tags"}.get(kind)
        for scene_id, s in sorted(self.scenes.items()):
            related = s[key] if key else ([s["studio"]] if s["studio"] else [])
            if any(r["id"] == str(entity_id) for r in related):
                yield scene_id

    def fetch_cover(self, url: str) -> Optional[Cover]:
        self._ask()
        scene_id = int(re.search(r"/scene/(\d+)/", url).group(1))
        data = self.covers.get(scene_id, f"jpeg of scene {scene_id}".encode())
        return Cover(data, "image/jpeg", hashlib.sha1(data).hexdigest())

    def link_for_plex(self, link: str) -> str:
        return f"{link}&apikey=fake-api-key"

    def performer_tally(self) -> tuple[int, int]:
        self._ask()
        ids = {int(p["id"]) for s in self.scenes.values() for p in s["performers"]}
        return len(ids), max(ids, default=0)

    def watched_scenes(self) -> dict[int, dict]:
        self._ask()
        return {scene_id: {"id": str(scene_id), "play_count": len(s.get("play_dates", ())),
                           "last_played_at": max(s.get("play_dates", ()), default=None),
                           "resume_time": s.get("resume_time", 0.0)}
                for scene_id, s in self.scenes.items() if s.get("play_dates") or s.get("resume_time")}

    def add_plays(self, scene_id: int, times) -> None:
        self._ask()
        self.scenes[scene_id].setdefault("play_dates", []).extend(times)

    def save_resume(self, scene_id: int, seconds: float) -> None:
        self._ask()
        self.scenes[scene_id]["resume_time"] = seconds

    def clone(self) -> FakeStash:
        return self

    def close(self) -> None:
        pass


@dataclass
class FakeItem:
    rating_key: int
    section: int
    parts: list  # (path, size)
    fields: dict = field(default_factory=lambda: {"title": "", "summary": "", "studio": "",
                                                  "originallyAvailableAt": "", "userRating": None, "genres": [],
                                                  "labels": [], "actors": [], "collections": [],
                                                  "directors": [], "contentRating": ""})
    locked: set = field(default_factory=set)
    photos: dict = field(default_factory=dict)  # actor name -> thumb
    views: int = 0  # the token account's play state
    last_viewed_at: int | None = None
    offset_ms: int = 0
    posters: list = field(default_factory=list)


_LISTS = {"genre": "genres", "label": "labels", "actor": "actors", "collection": "collections",
          "director": "directors"}


class FakePlex:
    """`PlexApi` over in-memory items. `requests` logs (kind, rating key); `down`/`unauthorized` make every
    request fail as an unreachable Plex / a revoked token does; `latency_s` slows every request; `max_query`
    (encoded bytes, 0: none) refuses longer edits as a proxy refuses a long request line (414), or with
    `cut_long` cuts their connection as some proxies do."""

    def __init__(self, section: int = 1, title: str = "Scenes", root: str = "/data") -> None:
        self.section_info = SectionInfo(section, title, 1, (root,))
        self.items: dict[int, FakeItem] = {}
        self.requests: list[tuple[str, int | None]] = []
        self.down = self.unauthorized = False
        self.owner_token = True  # False: the token of a user the server is shared with
        self.scans: list[tuple[int, str]] = []  # folder scans asked for: (section, folder)
        self.latency_s = 0.0
        self.max_query = 0
        self.cut_long = False

    def add(self, rating_key: int, path: str, size: int = 1000, **fields) -> FakeItem:
        item = FakeItem(rating_key, self.section_info.key, [(path, size)])
        item.fields.update(fields)
        self.items[rating_key] = item
        return item

    def rescan(self) -> None:
        """What a library scan does to the section's scannedAt."""
        info = self.section_info
        self.section_info = SectionInfo(info.key, info.title, (info.scanned_at or 0) + 1, info.locations)

    def writes(self) -> list[tuple[str, int | None]]:
        return [r for r in self.requests if r[0] in ("edit", "poster", "watch")]

    def _request(self, kind: str, rating_key: int | None = None) -> None:
        self.requests.append((kind, rating_key))
        if self.latency_s:
            time.sleep(self.latency_s)
        if self.down:
            raise PlexDown("Plex is not reachable (ConnectionError): refused")
        if self.unauthorized:
            raise PlexUnauthorized("Plex rejected the token (HTTP 401); check the plex_token setting", 401)
        if rating_key is not None and rating_key not in self.items:
            raise PlexNotFound(f"HTTP 404 from Plex for item {rating_key}", 404)

    def sections(self, wanted_titles: Sequence[str]) -> tuple[list[SectionInfo], list[str]]:
        self._request("sections")
        unknown = [t for t in wanted_titles if t.casefold() != self.section_info.title.casefold()]
        return ([] if wanted_titles and len(unknown) == len(wanted_titles) else [self.section_info]), unknown

    def section_items(self, section: SectionInfo) -> Iterator[PlexItemRecord]:
        self._request("listing")
        for item in sorted(self.items.values(), key=lambda i: i.rating_key):
            yield PlexItemRecord(item.rating_key, section.key, item.parts, self._listed(item))

    def _listed(self, item: FakeItem) -> dict:
        listed = {k: (v[:LISTING_TAG_LIMIT] if isinstance(v, list) else v) for k, v in item.fields.items()}
        if item.views or item.offset_ms:
            listed["watch"] = [item.views, item.last_viewed_at, item.offset_ms]
        return {**listed, "tags_partial": True, "duration": 60_000}

    def find_by_file(self, section_key: int, path: str) -> list[PlexPart]:
        self._request("file_lookup")
        return [PlexPart(i.rating_key, p, s, 60_000) for i in self.items.values() for p, s in i.parts if p == path]

    def read_item(self, rating_key: int) -> dict:
        self._request("read", rating_key)
        item = self.items[rating_key]
        return {**item.fields, "tags_partial": False, "locked": sorted(item.locked), "parts": list(item.parts)}

    def edit(self, rating_key: int, section_id: int, params: dict[str, str]) -> None:
        self._request("edit", rating_key)
        if self.max_query and len(encode_params(params)) > self.max_query:
            if self.cut_long:
                raise PlexAnswerLost("Plex did not answer (the connection was reset by peer while the edit was sent)")
            raise PlexTooLong("HTTP 414 from Plex for an edit", 414)
        item = self.items[rating_key]
        lists: dict[str, dict[int, dict]] = {}  # field -> index -> {"tag.tag": name, "tag.thumb": link}
        for key, value in params.items():
            name, _, rest = key.partition(".")
            base, _, index = name.partition("[")
            if rest == "locked":
                (item.locked.add if value not in ("0", "") else item.locked.discard)(base)
            elif rest == "value":
                item.fields[name] = (float(value) if value else None) if name == "userRating" else value
            elif base in _LISTS and rest == "tag.tag-":  # plexapi's removal form, each name quoted once more
                removed = {unquote(v) for v in value.split(",")}
                item.fields[_LISTS[base]] = [t for t in item.fields[_LISTS[base]] if t not in removed]
            elif base in _LISTS and value and index.rstrip("]"):  # the bare `[].tag=` is ignored, as PMS may
                lists.setdefault(_LISTS[base], {}).setdefault(int(index.rstrip("]")), {})[rest] = value
        for name, entries in lists.items():
            item.fields[name] = [entries[i]["tag.tag"] for i in sorted(entries)]
            item.photos.update({e["tag.tag"]: e["tag.thumb"] for e in entries.values() if "tag.thumb" in e})

    def upload_poster(self, rating_key: int, data: bytes) -> None:
        self._request("poster", rating_key)
        self.items[rating_key].posters.append(hashlib.sha1(data).hexdigest())

    def mark_played(self, rating_key: int, views_before: int) -> None:
        self._request("watch", rating_key)
        item = self.items[rating_key]
        item.views, item.offset_ms, item.last_viewed_at = item.views + 1, 0, int(time.time())

    def set_progress(self, rating_key: int, offset_ms: int) -> None:
        self._request("watch", rating_key)
        item = self.items[rating_key]
        item.offset_ms, item.last_viewed_at = offset_ms, int(time.time())

    def ping(self) -> None:
        self._request("ping")

    def token_owns_server(self) -> bool:
        self._request("accounts")
        return self.owner_token

    def scan_folder(self, section_key: int, folder: str) -> None:
        self._request("scan")
        self.scans.append((section_key, folder))

    def close(self) -> None:
        self.closed = True


def in_plex(count: int, first_key: int = 101) -> tuple[FakeStash, FakePlex]:
    """Scenes 1..count in Stash, each scene's file an item in Plex (rating key first_key - 1 + scene id)."""
    return matched(*(scene(i) for i in range(1, count + 1)), first_key=first_key)


def matched(*scenes: dict, first_key: int = 101) -> tuple[FakeStash, FakePlex]:
    """These scenes in Stash (from `scene`), each one's file an item in Plex (rating key first_key - 1 + id)."""
    stash = FakeStash(list(scenes))
    plex = FakePlex()
    for found in scenes:
        plex.add(first_key - 1 + int(found["id"]), f"/data/scene-{found['id']}.mp4")
    return stash, plex


def make_settings(**values) -> Settings:
    """Settings as `load_settings` validates them, with a Plex URL and token so the worker may connect."""
    settings, notes = load_settings({"plex_url": "http://plex:32400", "plex_token": "fake-token-123", **values})
    assert notes == [], notes
    return settings


def make_context(tmp_path: Path, stash: FakeStash, plex: FakePlex, **settings) -> Context:
    store = Store(tmp_path / "stash2plex.sqlite3")
    values = make_settings(**settings)
    store.meta.cache_settings(values.enabled, values.reconcile_interval, values.reconcile_scope)
    return Context(values, store, stash, lambda: plex)
