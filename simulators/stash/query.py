"""findScenes semantics: filtering, sorting and paging the way Stash's SQL does them.

Timestamps compare as text, like SQLite comparing Stash's stored RFC3339 strings; without `sort` the result keeps
insertion order (Stash issues no ORDER BY then, so clients must not rely on any order).
"""

from __future__ import annotations

import re
from typing import Any, Callable

from simulators.stash.store import StashStore, StoreError

DEFAULT_PER_PAGE = 25
_SORTS: dict[str, Callable[[dict], Any]] = {
    "id": lambda s: int(s["id"]),
    "title": lambda s: (s["title"] or "").lower(),
    "date": lambda s: s["date"] or "",
    "updated_at": lambda s: s["updated_at"],
    "created_at": lambda s: s["created_at"],
    "path": lambda s: s["files"][0]["path"] if s["files"] else "",
    "rating": lambda s: s["rating100"] or 0,
    "filesize": lambda s: sum(f["size"] for f in s["files"]),
    "duration": lambda s: s["files"][0]["duration"] if s["files"] else 0,
}


def _compare_text(value: str | None, crit: dict) -> bool:
    mod, a, b = crit["modifier"], crit["value"], crit.get("value2")
    if mod == "IS_NULL":
        return not value
    if mod == "NOT_NULL":
        return bool(value)
    if value is None:
        return False
    if mod == "EQUALS":
        return value == a
    if mod == "NOT_EQUALS":
        return value != a
    if mod == "GREATER_THAN":
        return value > a
    if mod == "LESS_THAN":
        return value < a
    if mod in ("BETWEEN", "NOT_BETWEEN"):
        inside = a <= value <= b if b is not None else value >= a
        return inside if mod == "BETWEEN" else not inside
    raise StoreError(f"unsupported modifier {mod} for timestamp")


def _compare_int(value: int, crit: dict) -> bool:
    mod, a = crit["modifier"], crit["value"]
    if mod == "GREATER_THAN":  # first: every keyset page asks it of every scene
        return value > a
    if mod == "EQUALS":
        return value == a
    if mod == "NOT_EQUALS":
        return value != a
    if mod == "LESS_THAN":
        return value < a
    if mod in ("BETWEEN", "NOT_BETWEEN"):
        b = crit.get("value2")
        inside = a <= value <= (b if b is not None else a)
        return inside if mod == "BETWEEN" else not inside
    raise StoreError(f"unsupported modifier {mod} for id")


def compare_string(value: str, crit: dict) -> bool:
    mod, a = crit["modifier"], crit["value"]
    value = value or ""
    table = {
        "EQUALS": lambda: value.lower() == a.lower(), "NOT_EQUALS": lambda: value.lower() != a.lower(),
        "INCLUDES": lambda: a.lower() in value.lower(), "EXCLUDES": lambda: a.lower() not in value.lower(),
        "MATCHES_REGEX": lambda: re.search(a, value) is not None,
        "NOT_MATCHES_REGEX": lambda: re.search(a, value) is None,
        "IS_NULL": lambda: value == "", "NOT_NULL": lambda: value != "",
    }
    if mod not in table:
        raise StoreError(f"unsupported modifier {mod} for string")
    return table[mod]()


def _compare_multi(values: list[str], crit: dict) -> bool:
    wanted = [str(v) for v in crit.get("value") or []]
    excluded = [str(v) for v in crit.get("excludes") or []]
    mod = crit["modifier"]
    if any(v in values for v in excluded):
        return False
    if mod == "INCLUDES":
        return any(v in values for v in wanted) if wanted else True
    if mod == "INCLUDES_ALL":
        return all(v in values for v in wanted)
    if mod == "EXCLUDES":
        return not any(v in values for v in wanted)
    if mod == "IS_NULL":
        return not values
    if mod == "NOT_NULL":
        return bool(values)
    raise StoreError(f"unsupported modifier {mod} for multi criterion")


def _studio_ids(store: StashStore, crit: dict) -> dict:
    """Hierarchical studio criteria include child studios down to `depth` (-1 = all)."""
    depth = crit.get("depth") or 0
    ids = [str(v) for v in crit.get("value") or []]
    frontier = list(ids)
    while frontier and depth != 0:
        frontier = [c for sid in frontier for c in store.child_studio_ids(sid)]
        ids.extend(frontier)
        depth -= 1
    return {**crit, "value": ids}


def _matcher(store: StashStore, scene_filter: dict | None) -> Callable[[dict], bool]:
    checks: list[Callable[[dict], bool]] = []
    f = scene_filter or {}
    for key in ("updated_at", "created_at"):
        if f.get(key):
            checks.append(lambda s, k=key, c=f[key]: _compare_text(s[k], c))
    if f.get("id"):
        checks.append(lambda s, c=f["id"]: _compare_int(int(s["id"]), c))
    if f.get("title"):
        checks.append(lambda s, c=f["title"]: compare_string(s["title"], c))
    if f.get("path"):
        checks.append(lambda s, c=f["path"]: any(compare_string(x["path"], c) for x in s["files"]))
    if f.get("organized") is not None:
        checks.append(lambda s, v=f["organized"]: s["organized"] == v)
    if f.get("is_missing"):
        missing = f["is_missing"]
        fields = {"cover": lambda s: not s["has_cover"], "studio": lambda s: s["studio_id"] is None,
                  "performers": lambda s: not s["performer_ids"], "tags": lambda s: not s["tag_ids"],
                  "date": lambda s: not s["date"], "url": lambda s: not s["urls"]}
        if missing not in fields:
            raise StoreError(f"unsupported is_missing value {missing}")
        checks.append(fields[missing])
    if f.get("performers"):
        checks.append(lambda s, c=f["performers"]: _compare_multi(s["performer_ids"], c))
    if f.get("tags"):
        checks.append(lambda s, c=f["tags"]: _compare_multi(s["tag_ids"], c))
    if f.get("movies") or f.get("groups"):
        crit = f.get("movies") or f["groups"]
        checks.append(lambda s, c=crit: _compare_multi([g["group_id"] for g in s["groups"]], c))
    if f.get("studios"):
        crit = _studio_ids(store, f["studios"])
        checks.append(lambda s, c=crit: _compare_multi([s["studio_id"]] if s["studio_id"] else [], c))
    if f.get("play_count"):
        checks.append(lambda s, c=f["play_count"]: _compare_int(len(s["play_dates"]), c))
    if f.get("resume_time"):
        checks.append(lambda s, c=f["resume_time"]: _compare_int(s["resume_time"], c))
    if f.get("last_played_at"):
        checks.append(lambda s, c=f["last_played_at"]: _compare_text(max(s["play_dates"], default=None), c))
    own = checks[0] if len(checks) == 1 else lambda s: all(check(s) for check in checks)  # noqa: E731
    # A sub-filter joins the scene's own criteria as `own AND|OR|NOT (sub)` (pkg/sqlite/filter.go
    # getSubFilterClause); with no own criteria, OR and AND are the sub-filter alone.
    if f.get("AND"):
        sub = _matcher(store, f["AND"])
        return lambda s: own(s) and sub(s)
    if f.get("OR"):
        sub = _matcher(store, f["OR"])
        return (lambda s: own(s) or sub(s)) if checks else sub
    if f.get("NOT"):
        sub = _matcher(store, f["NOT"])
        return lambda s: own(s) and not sub(s)
    return own


def find_scenes(store: StashStore, scene_filter: dict | None = None, ids: list | None = None,
                find_filter: dict | None = None) -> tuple[list[dict], list[dict]]:
    """Returns (all matching scenes, the requested page of them)."""
    find_filter = find_filter or {}
    scenes = store.scenes()
    if ids is not None:
        wanted = {str(i) for i in ids}
        scenes = [s for s in scenes if s["id"] in wanted]
        if len(scenes) < len(wanted):
            # Real Stash loads id lists with FindMany, which fails the whole query on a missing id.
            missing = sorted(wanted - {s["id"] for s in scenes}, key=lambda i: (len(i), i))[0]
            raise StoreError(f"scene with id {missing} not found")
    q = find_filter.get("q")
    if q:
        needle = q.lower()
        scenes = [s for s in scenes if needle in (s["title"] or "").lower()
                  or any(needle in f["path"].lower() for f in s["files"])]
    if scene_filter:
        match = _matcher(store, scene_filter)
        scenes = [s for s in scenes if match(s)]
    sort = find_filter.get("sort")
    if sort:
        key = _SORTS.get(sort)
        if key is None:
            raise StoreError(f"invalid sort: {sort}")
        descending = find_filter.get("direction") == "DESC"
        # Stash breaks ties by id ascending; two stable sorts give the same order.
        scenes = sorted(scenes, key=lambda s: int(s["id"]))
        scenes.sort(key=key, reverse=descending)
    per_page = find_filter.get("per_page")
    per_page = DEFAULT_PER_PAGE if per_page is None else per_page
    if per_page < 0:
        return scenes, scenes
    page = max(1, find_filter.get("page") or 1)
    return scenes, scenes[(page - 1) * per_page: page * per_page]
