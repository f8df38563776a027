"""The simulator's mutable library, seeded from simulators.dataset.

Records are copy-on-write: a change builds a new dict and swaps it in under the lock, so readers may use what
they got without holding the lock (GraphQL resolution happens outside it). Timestamps are RFC3339 text with the
dataset's UTC offset, the way Stash stores them (local time, second precision).
"""

from __future__ import annotations

import re
import threading
from datetime import datetime, timedelta
from typing import Any

from simulators import dataset
from simulators.stash.covers import cover_jpeg

_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
_SCENE_TEXT = ("title", "code", "details", "director")


class StoreError(ValueError):
    """A change Stash would refuse (unknown id, bad date); surfaces as a GraphQL resolver error."""


def _fresh_activity() -> dict:
    """What every scene starts with beyond the dataset's fields: no cover edits, groups, plays or resume point."""
    return {"cover_version": 0, "groups": [], "play_dates": [], "resume_time": 0.0, "play_duration": 0.0}


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class StashStore:
    """Thread-safe scenes, performers, tags and studios, plus covers and plugin settings."""

    def __init__(self, seed: int = 1, scenes: int = 200, long_details: float = 0.0) -> None:
        lib = dataset.generate(seed, scenes)
        dataset.lengthen_details(lib.scenes, long_details, seed)
        self._lock = threading.Lock()
        self._scenes: dict[str, dict] = {}
        for sid, scene in lib.scenes.items():
            self._scenes[sid] = {**scene, **_fresh_activity()}
        first = next(iter(self._scenes.values()), None)
        self.tzinfo = parse_time(first["created_at"]).tzinfo if first else datetime.now().astimezone().tzinfo
        created = self._now_text()
        self._performers = {k: {**v, "created_at": created, "updated_at": created} for k, v in lib.performers.items()}
        self._tags = {k: {**v, "created_at": created, "updated_at": created} for k, v in lib.tags.items()}
        self._studios = {k: {**v, "created_at": created, "updated_at": created} for k, v in lib.studios.items()}
        self._groups: dict[str, dict] = {}  # none in the dataset: tests create them (groupCreate)
        self._next_file_id = 1 + max((int(f["id"]) for s in self._scenes.values() for f in s["files"]), default=0)
        self._plugin_settings: dict[str, dict] = {}
        self.version = 0

    # -- reads ----------------------------------------------------------------------------------------------
    def scene(self, scene_id: Any) -> dict | None:
        return self._scenes.get(str(scene_id))

    def scenes(self) -> list[dict]:
        """All scenes in insertion order (Stash without ORDER BY)."""
        with self._lock:
            return list(self._scenes.values())

    def performer(self, performer_id: Any) -> dict | None:
        return self._performers.get(str(performer_id))

    def tag(self, tag_id: Any) -> dict | None:
        return self._tags.get(str(tag_id))

    def studio(self, studio_id: Any) -> dict | None:
        return self._studios.get(str(studio_id))

    def child_studio_ids(self, studio_id: str) -> list[str]:
        return [s["id"] for s in self._studios.values() if s["parent_id"] == studio_id]

    def cover(self, scene_id: Any) -> bytes | None:
        """The scene's current cover JPEG, or None when Stash would serve the placeholder."""
        scene = self.scene(scene_id)
        if scene is None or not scene["has_cover"]:
            return None
        return cover_jpeg(scene["id"], scene["cover_version"])

    # -- time -----------------------------------------------------------------------------------------------
    def _now(self) -> datetime:
        return datetime.now(self.tzinfo).replace(microsecond=0)

    def _now_text(self) -> str:
        return self._now().isoformat(timespec="seconds")

    def _bumped(self, previous: str) -> str:
        """Now, but strictly after `previous` so every change of a record is visible in its updated_at."""
        now = self._now()
        floor = parse_time(previous) + timedelta(seconds=1)
        return max(now, floor.astimezone(self.tzinfo)).isoformat(timespec="seconds")

    # -- scene writes ---------------------------------------------------------------------------------------
    def _check_ids(self, kind: str, table: dict, ids: list) -> list[str]:
        out = []
        for raw in ids:
            if str(raw) not in table:
                raise StoreError(f"{kind} with id {raw} not found")
            if str(raw) not in out:
                out.append(str(raw))
        return out

    def _apply_scene_changes(self, scene: dict, changes: dict) -> None:
        for key in _SCENE_TEXT:
            if key in changes:
                scene[key] = changes[key] or ""
        if "urls" in changes:
            scene["urls"] = list(changes["urls"] or [])
        elif "url" in changes:
            scene["urls"] = [changes["url"]] if changes["url"] else []
        if "date" in changes:
            date = changes["date"] or None
            if date is not None and not _DATE.match(date):
                raise StoreError(f"invalid date: {date}")
            scene["date"] = date
        if "rating100" in changes:
            rating = changes["rating100"]
            if rating is not None and not 1 <= rating <= 100:
                raise StoreError("rating100 must be between 1 and 100")
            scene["rating100"] = rating
        if "organized" in changes:
            scene["organized"] = bool(changes["organized"])
        if "studio_id" in changes:
            sid = changes["studio_id"]
            scene["studio_id"] = self._check_ids("studio", self._studios, [sid])[0] if sid else None
        if "performer_ids" in changes:
            scene["performer_ids"] = self._check_ids("performer", self._performers, changes["performer_ids"] or [])
        if "tag_ids" in changes:
            scene["tag_ids"] = self._check_ids("tag", self._tags, changes["tag_ids"] or [])
        # `groups` wins over `movies` when both are sent (resolver_mutation_scene.go:228-236, v0.30.1).
        key, id_key = ("groups", "group_id") if "groups" in changes else ("movies", "movie_id")
        if key in changes:
            entries = changes[key] or []
            ids = self._check_ids("group", self._groups, [e.get(id_key) for e in entries])
            scene["groups"] = [{"group_id": gid, "scene_index": e.get("scene_index")}
                               for gid, e in zip(ids, entries, strict=True)]
        if changes.get("cover_image"):
            scene["has_cover"] = True
            scene["cover_version"] += 1

    def update_scene(self, scene_id: Any, changes: dict) -> dict:
        """Applies SceneUpdateInput-shaped changes; bumps updated_at like any Stash scene update does."""
        with self._lock:
            old = self._scenes.get(str(scene_id))
            if old is None:
                raise StoreError(f"scene with id {scene_id} not found")
            scene = {**old, "files": list(old["files"])}
            self._apply_scene_changes(scene, changes)
            scene["updated_at"] = self._bumped(old["updated_at"])
            self._scenes[scene["id"]] = scene
            self.version += 1
            return scene

    def bulk_update_scenes(self, ids: list, changes: dict) -> list[dict]:
        """BulkSceneUpdateInput semantics: id lists take {mode, ids}, everything else is set on every scene."""
        out = []
        for sid in ids:
            scene = self.scene(sid)
            if scene is None:
                raise StoreError(f"scene with id {sid} not found")
            flat = {k: v for k, v in changes.items() if k not in ("performer_ids", "tag_ids", "urls", "ids")}
            for key in ("performer_ids", "tag_ids"):
                if changes.get(key) is not None:
                    flat[key] = _bulk_ids(scene[key], changes[key])
            if changes.get("urls") is not None:
                flat["urls"] = _bulk_ids(scene["urls"], {"mode": changes["urls"]["mode"],
                                                        "ids": changes["urls"].get("values")})
            out.append(self.update_scene(sid, flat))
        return out

    # -- play activity: none of it moves updated_at or fires a hook (pkg/sqlite/history.go, SaveActivity) -------
    def add_plays(self, scene_id: Any, times: list[str] | None) -> list[str]:
        """sceneAddPlay: one play per time given (none: one now); returns the play history, newest first."""
        with self._lock:
            scene = self._existing(scene_id)
            added = [parse_time(t).astimezone(self.tzinfo) for t in times] if times else [self._now()]
            scene["play_dates"] = scene["play_dates"] + [d.isoformat(timespec="seconds") for d in added]
            return self.play_history(scene)

    def delete_plays(self, scene_id: Any, times: list[str] | None) -> list[str]:
        """sceneDeletePlay: the plays at exactly these times (none: the most recent one)."""
        with self._lock:
            scene = self._existing(scene_id)
            dates = list(scene["play_dates"])
            wanted = [parse_time(t) for t in times] if times else [max(map(parse_time, dates))] if dates else []
            for when in wanted:
                match = next((d for d in dates if parse_time(d) == when), None)
                if match is not None:
                    dates.remove(match)
            scene["play_dates"] = dates
            return self.play_history(scene)

    def save_activity(self, scene_id: Any, resume_time: float | None, play_duration: float | None) -> None:
        """sceneSaveActivity: sets the resume point, adds to the played duration."""
        with self._lock:
            scene = self._existing(scene_id)
            if resume_time is not None:
                scene["resume_time"] = float(resume_time)
            if play_duration is not None:
                scene["play_duration"] += float(play_duration)

    def reset_play_count(self, scene_id: Any) -> int:
        """sceneResetPlayCount: every play gone; returns the new count (0)."""
        with self._lock:
            self._existing(scene_id)["play_dates"] = []
            return 0

    def _existing(self, scene_id: Any) -> dict:
        scene = self._scenes.get(str(scene_id))
        if scene is None:
            raise StoreError(f"scene with id {scene_id} not found")
        return scene

    @staticmethod
    def play_history(scene: dict) -> list[str]:
        return sorted(scene["play_dates"], key=parse_time, reverse=True)

    def touch_scene(self, scene_id: Any) -> dict:
        """A scan that found a changed file: the scene is saved again, nothing visible changes but updated_at."""
        return self.update_scene(scene_id, {})

    def create_scene(self, title: str = "", path: str | None = None, has_cover: bool = False, **fields: Any) -> dict:
        """A scan-created scene: one file, no cover yet (Stash generates it after the Create hook ran)."""
        with self._lock:
            sid = str(max((int(k) for k in self._scenes), default=0) + 1)
            file_id = str(self._next_file_id)
            self._next_file_id += 1
            path = path or f"{dataset.STASH_ROOT}/Unsorted/new-{sid}.mp4"
            now = self._now_text()
            scene = {
                "id": sid, "title": title, "code": None, "details": "", "director": "", "date": None,
                "rating100": None, "organized": False, "urls": [], "created_at": now, "updated_at": now,
                "files": [{"id": file_id, "path": path, "basename": path.rsplit("/", 1)[-1], "size": 100_000_000,
                           "duration": 600.0, "width": 1920, "height": 1080}],
                "studio_id": None, "performer_ids": [], "tag_ids": [], "has_cover": has_cover, **_fresh_activity(),
            }
            self._scenes[sid] = scene
            self.version += 1
        if fields:
            return self.update_scene(sid, fields)
        return scene

    def set_cover(self, scene_id: Any) -> int:
        """Cover generation or a new cover: new bytes at the same URL. Like Stash's generate task, no hook fires
        and updated_at does not move. Returns the new cover version."""
        with self._lock:
            old = self._scenes.get(str(scene_id))
            if old is None:
                raise StoreError(f"scene with id {scene_id} not found")
            version = old["cover_version"] + (1 if old["has_cover"] else 0)
            self._scenes[old["id"]] = {**old, "has_cover": True, "cover_version": version}
            self.version += 1
            return version

    # -- performer / tag / studio writes ---------------------------------------------------------------------
    def _update_entity(self, table: dict, kind: str, entity_id: Any, changes: dict) -> dict:
        with self._lock:
            old = table.get(str(entity_id))
            if old is None:
                raise StoreError(f"{kind} with id {entity_id} not found")
            new = dict(old)
            for key, value in changes.items():
                if key == "id":
                    continue
                if key == "name" and not value:
                    raise StoreError("name must not be blank")
                new[key] = value
            new["updated_at"] = self._bumped(old["updated_at"])
            table[new["id"]] = new
            self.version += 1
            return new

    def update_performer(self, performer_id: Any, changes: dict) -> dict:
        """performerUpdate; `image` (a URL or data URI) is kept only as whether there is one (null clears it)."""
        if "image" in changes:
            changes = {**{k: v for k, v in changes.items() if k != "image"}, "has_image": bool(changes["image"])}
        return self._update_entity(self._performers, "performer", performer_id, changes)

    def update_tag(self, tag_id: Any, changes: dict) -> dict:
        return self._update_entity(self._tags, "tag", tag_id, changes)

    def update_studio(self, studio_id: Any, changes: dict) -> dict:
        if changes.get("parent_id") is not None and str(changes["parent_id"]) not in self._studios:
            raise StoreError(f"studio with id {changes['parent_id']} not found")
        return self._update_entity(self._studios, "studio", studio_id, changes)

    def create_tag(self, name: str) -> dict:
        """tagCreate: a name another tag has is refused (pkg/tag/update.go EnsureTagNameUnique via ValidateCreate;
        the lookup ignores case)."""
        with self._lock:
            if any(t["name"].casefold() == name.casefold() for t in self._tags.values()):
                raise StoreError(f"tag with name '{name}' already exists")
            tid = str(max((int(k) for k in self._tags), default=0) + 1)
            now = self._now_text()
            self._tags[tid] = {"id": tid, "name": name, "created_at": now, "updated_at": now}
            self.version += 1
            return self._tags[tid]

    def tags(self) -> list[dict]:
        with self._lock:
            return [dict(t) for t in self._tags.values()]

    def create_group(self, name: str) -> dict:
        """groupCreate (movieCreate before v0.27): a group scenes can belong to."""
        with self._lock:
            gid = str(len(self._groups) + 1)
            now = self._now_text()
            self._groups[gid] = {"id": gid, "name": name, "created_at": now, "updated_at": now}
            self.version += 1
            return self._groups[gid]

    def update_group(self, group_id: Any, changes: dict) -> dict:
        return self._update_entity(self._groups, "group", group_id, changes)

    def group(self, group_id: Any) -> dict | None:
        return self._groups.get(str(group_id))

    def merge_tags(self, sources: list[Any], destination: Any) -> dict:
        """tagsMerge: scenes carrying a source tag carry the destination instead; the sources are deleted. As in
        Stash (pkg/sqlite/tag.go Merge: raw SQL on scenes_tags), no scene's updated_at moves."""
        return self._merge("tag", self._tags, "tag_ids", sources, destination)

    def merge_performers(self, sources: list[Any], destination: Any) -> dict:
        """performerMerge (develop): scenes linked to a source are linked to the destination instead (once); the
        sources are deleted. As in Stash (pkg/sqlite/performer.go Merge: raw SQL on performers_scenes, then
        Destroy), no scene's updated_at moves, and the resolver fires no hook."""
        return self._merge("performer", self._performers, "performer_ids", sources, destination)

    def _merge(self, kind: str, table: dict, field: str, sources: list[Any], destination: Any) -> dict:
        """Both merges; like Stash's sqlite `Merge`, a destination among the sources is refused."""
        with self._lock:
            dest = str(destination)
            if dest not in table:
                raise StoreError(f"{kind} with id {destination} not found")
            gone = {str(p) for p in sources}
            if dest in gone:
                raise StoreError("cannot merge where source == destination")
            for sid, scene in self._scenes.items():
                if gone & set(scene[field]):
                    kept = [p for p in scene[field] if p not in gone]
                    self._scenes[sid] = {**scene, field: kept + ([dest] if dest not in kept else [])}
            for source_id in gone:
                table.pop(source_id, None)
            self.version += 1
            return table[dest]

    def performers(self) -> list[dict]:
        """Every performer, by id (the order findPerformers sorts by "id" gives)."""
        with self._lock:
            return sorted(self._performers.values(), key=lambda p: int(p["id"]))

    def destroy_entity(self, kind: str, entity_id: Any) -> None:
        """tagDestroy / performerDestroy / studioDestroy: the links go with the entity (ON DELETE CASCADE, or SET
        NULL for a scene's studio), and no scene's updated_at moves."""
        table, link = {"tag": (self._tags, "tag_ids"), "performer": (self._performers, "performer_ids"),
                       "studio": (self._studios, "studio_id")}[kind]
        with self._lock:
            key = str(entity_id)
            if table.pop(key, None) is None:
                raise StoreError(f"{kind} with id {entity_id} not found")
            for sid, scene in self._scenes.items():
                if link == "studio_id" and scene["studio_id"] == key:
                    self._scenes[sid] = {**scene, "studio_id": None}
                elif link != "studio_id" and key in scene[link]:
                    self._scenes[sid] = {**scene, link: [x for x in scene[link] if x != key]}
            self.version += 1

    # -- plugin settings ------------------------------------------------------------------------------------
    def plugin_settings(self, include: list[str] | None = None) -> dict[str, dict]:
        with self._lock:
            return {k: dict(v) for k, v in self._plugin_settings.items() if include is None or k in include}

    def set_plugin_settings(self, plugin_id: str, settings: dict) -> dict:
        """configurePlugin overwrites the whole map for that plugin."""
        with self._lock:
            self._plugin_settings[plugin_id] = dict(settings)
            return dict(settings)


def _bulk_ids(current: list[str], change: dict) -> list[str]:
    ids = [str(i) for i in change.get("ids") or []]
    mode = change.get("mode")
    if mode == "SET":
        return ids
    if mode == "ADD":
        return current + [i for i in ids if i not in current]
    return [i for i in current if i not in ids]
