"""Deterministic generated library shared by the Stash and Plex simulators.

Both simulators are built from the same (seed, n) so a Plex simulator started in another process
holds exactly the files the Stash simulator serves: the Plex copy sees them under a different path
prefix (as Docker users have), misses some scenes, and has duplicate basenames in different folders.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

STASH_ROOT = "/data/stash"
PLEX_ROOT = "/media/plex"

# Every MISSING_EVERY-th scene has no Plex item; every SHARED_NAME_EVERY-th scene is named "scene.mp4"
# in its own folder so that basenames collide (only full-path matching tells them apart), and every
# second one of those is an exact copy (same size) of the one before: a basename + size tie.
MISSING_EVERY = 25
SHARED_NAME_EVERY = 40
NO_COVER_EVERY = 30
TWO_FILES_EVERY = 10

_WORDS = [
    "Sunset", "Harbor", "Velvet", "Crimson", "Echo", "Midnight", "Aurora", "Lagoon", "Ember", "Summit",
    "Orchid", "Static", "Neon", "Drift", "Cascade", "Meadow", "Quartz", "Tempest", "Hollow", "Zenith",
]
_UNICODE = ["Café", "Straße", "Ñandú", "東京", "Москва", "Øresund", "naïve", "Zürich", "🎬", "✨", "“quoted”"]
_FIRST = ["Ava", "Mia", "Leo", "Zoe", "Ivy", "Noa", "Eli", "Lux", "Kai", "Sky", "Rémy", "Anaïs", "Jun", "Chloé"]
_LAST = ["Stone", "Rivers", "Vale", "Knight", "Frost", "Lane", "Moreau", "Sato", "O'Neil", "Castillo"]
_TAGS = [
    "Outdoor", "Indoor", "4K", "Interview", "Behind the Scenes", "Solo", "Duo", "Group", "Classic", "New",
    "Beach", "City", "Night", "Studio Set", "POV", "Vintage", "Sci-Fi & Fantasy", "Drama", "Comedy", "Music",
    "A,B test", "100% real", "Q&A", "Tag #1", "Long Take",
]
_STUDIOS = [
    ("Northwind Pictures", None), ("Northwind Indie", "Northwind Pictures"), ("Blue Fern", None),
    ("Studio Ümlaut", None), ("Harbor & Co", None), ("Harbor Nights", "Harbor & Co"), ("Pixel Bay", None),
    ("Red Canary", None), ("Golden Hour", None), ("Ten-Ten Films", None),
]


@dataclass
class Library:
    """A generated Stash library: scenes plus the studios, performers and tags they reference."""

    studios: dict[str, dict] = field(default_factory=dict)
    performers: dict[str, dict] = field(default_factory=dict)
    tags: dict[str, dict] = field(default_factory=dict)
    scenes: dict[str, dict] = field(default_factory=dict)


def _timestamp(base: datetime, seconds: int) -> str:
    return (base + timedelta(seconds=seconds)).isoformat(timespec="seconds")


def _date(rng: random.Random) -> str | None:
    year = rng.randint(1998, 2025)
    form = rng.random()
    if form < 0.08:
        return None
    if form < 0.16:
        return str(year)
    if form < 0.26:
        return f"{year}-{rng.randint(1, 12):02d}"
    return f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"


def _title(rng: random.Random, n: int) -> str:
    words = rng.sample(_WORDS, rng.randint(1, 3))
    if n % 7 == 0:
        words.append(rng.choice(_UNICODE))
    return " ".join(words) + f" {n}"


def _details(rng: random.Random, title: str) -> str:
    if rng.random() < 0.1:
        return ""
    lines = [f"{title}: a scene about {rng.choice(_WORDS).lower()} & {rng.choice(_WORDS).lower()}."]
    if rng.random() < 0.3:
        lines.append("Second line with 100% symbols = ok #hash ?query")
    return "\n".join(lines)


_LONG_WORDS = ("Lorem", "ipsum", "dolor", "sit", "amet", "Ein", "längerer", "Text", "長い説明", "scène", "🎬", "&",
               "100%", "#hash", "?query", "naïve", "café")


def lengthen_details(scenes: dict[str, dict], share: float, seed: int) -> int:
    """Gives `share` of the scenes (chosen by `seed`, apart from the library's own draws) details of 1,500-4,000
    characters, many of them multi-byte, as long studio descriptions are: most encode to more than 2,000 bytes in
    a URL. Returns how many were lengthened."""
    rng = random.Random(f"long-details-{seed}")
    chosen = [sid for sid in sorted(scenes, key=int) if rng.random() < share]
    for sid in chosen:
        words, length = [], rng.randint(1500, 4000)
        while sum(len(w) + 1 for w in words) < length:
            words.append(rng.choice(_LONG_WORDS))
        scenes[sid]["details"] = " ".join(words)
    return len(chosen)


def _slug(text: str) -> str:
    keep = [c if c.isalnum() else "_" for c in text]
    return "".join(keep).strip("_") or "scene"


def generate(seed: int, n: int) -> Library:
    """Builds n scenes deterministically from seed (same inputs, same library, in any process)."""
    rng = random.Random(seed)
    lib = Library()
    for i, (name, parent) in enumerate(_STUDIOS, start=1):
        lib.studios[str(i)] = {"id": str(i), "name": name, "parent_name": parent}
    for s in lib.studios.values():
        parent = s.pop("parent_name")
        s["parent_id"] = next((x["id"] for x in lib.studios.values() if x["name"] == parent), None)
    n_performers = max(8, n // 6)
    for i in range(1, n_performers + 1):
        name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
        lib.performers[str(i)] = {
            "id": str(i), "name": f"{name} {i}" if i > len(_FIRST) else name,
            "disambiguation": None, "gender": rng.choice(["FEMALE", "MALE", "NON_BINARY", None]),
            "has_image": i % 4 != 0,
        }
    for i, name in enumerate(_TAGS, start=1):
        lib.tags[str(i)] = {"id": str(i), "name": name}

    base = datetime(2025, 6, 1, 12, 0, 0, tzinfo=timezone(timedelta(hours=2)))
    file_id = 0
    for n_scene in range(1, n + 1):
        sid = str(n_scene)
        title = _title(rng, n_scene) if rng.random() > 0.04 else ""
        studio_id = rng.choice(list(lib.studios)) if rng.random() > 0.1 else None
        folder = _slug(lib.studios[studio_id]["name"]) if studio_id else "Unsorted"
        files = []
        twin = lib.scenes.get(str(n_scene - SHARED_NAME_EVERY)) if n_scene % (2 * SHARED_NAME_EVERY) == 0 else None
        for k in range(2 if n_scene % TWO_FILES_EVERY == 0 else 1):
            file_id += 1
            if n_scene % SHARED_NAME_EVERY == 0:
                rel = f"{folder}/{sid}/scene{'' if k == 0 else '-part2'}.mp4"
            else:
                rel = f"{folder}/{_slug(title or 'untitled')}-{sid}{'' if k == 0 else '-b'}.mp4"
            files.append({
                "id": str(file_id), "path": f"{STASH_ROOT}/{rel}", "basename": rel.rsplit("/", 1)[1],
                "size": rng.randint(50_000_000, 4_000_000_000), "duration": round(rng.uniform(60, 5400), 2),
                "width": 1920, "height": 1080,
            })
            if twin and k < len(twin["files"]):
                files[-1]["size"], files[-1]["duration"] = twin["files"][k]["size"], twin["files"][k]["duration"]
        created = n_scene * 60
        lib.scenes[sid] = {
            "id": sid,
            "title": title,
            "code": f"C-{n_scene:05d}" if rng.random() < 0.3 else None,
            "details": _details(rng, title or "Untitled"),
            "director": rng.choice(["", "J. Doe", "A. Smithee"]),
            "date": _date(rng),
            "rating100": rng.choice([None, 20, 40, 60, 80, 100, rng.randint(1, 100)]),
            "organized": rng.random() < 0.5,
            "urls": [f"https://example.com/scene/{sid}"] if rng.random() < 0.6 else [],
            "created_at": _timestamp(base, created),
            "updated_at": _timestamp(base, created + rng.randint(0, 3600)),
            "files": files,
            "studio_id": studio_id,
            "performer_ids": sorted(rng.sample(list(lib.performers), rng.randint(0, 3)), key=int),
            "tag_ids": sorted(rng.sample(list(lib.tags), rng.randint(0, 6)), key=int),
            "has_cover": n_scene % NO_COVER_EVERY != 0,
        }
    return lib


def plex_path(stash_path: str) -> str:
    """The path under which the Plex simulator's server sees a Stash file."""
    return PLEX_ROOT + stash_path[len(STASH_ROOT):]


def in_plex(scene_id: str) -> bool:
    """Whether the generated Plex library holds the scene's files."""
    return int(scene_id) % MISSING_EVERY != 0
