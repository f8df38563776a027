"""The stored Plex index: replacement that streams and never holds the write lock while reading, lookups."""

from __future__ import annotations

import tracemalloc
from typing import Iterator

from sync_queue.dedup import EnqueueRequest
from sync_queue.index import PlexItemRecord, PlexPart, basename

ITEMS = 100_000


def count(store, section_id: int) -> int:
    return sum(1 for _ in store.index.iter_section(section_id))


def synthetic(section_id: int, count: int, offset: int = 0) -> Iterator[PlexItemRecord]:
    for i in range(offset, offset + count):
        parts = [(f"/media/plex/s{section_id}/d{i % 100}/scene-{i}.mp4", 1000 + i)]
        if i % 10 == 0:
            parts.append((f"/media/plex/s{section_id}/extra/scene.mp4", 5))  # shared basename
        yield PlexItemRecord(rating_key=i + 1, section_id=section_id, parts=parts, fields={"title": f"Scene {i}"})


def test_replace_section_streams_100k_items(store) -> None:
    tracemalloc.start()
    try:
        assert store.index.replace_section(1, synthetic(1, ITEMS)) == ITEMS
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * 1024 * 1024, f"peak Python memory {peak} bytes: items were not streamed"
    assert store.index.item_count() == ITEMS
    path = "/media/plex/s1/d42/scene-99942.mp4"
    assert store.index.by_paths([path, "/nope.mp4"]) == {path: [PlexPart(99943, path, 100942)]}
    shared = store.index.by_basenames(["scene.mp4", "scene-5.mp4"])
    assert len(shared["scene.mp4"]) == ITEMS // 10
    assert shared["scene-5.mp4"] == [PlexPart(6, "/media/plex/s1/d5/scene-5.mp4", 1005)]


def test_replace_section_drops_what_is_gone_and_leaves_other_sections(store) -> None:
    store.index.replace_section(1, synthetic(1, 50))
    store.index.replace_section(2, synthetic(2, 5, offset=1000))
    assert store.index.replace_section(1, synthetic(1, 10, offset=20)) == 10
    assert count(store, 1) == 10 and count(store, 2) == 5
    assert store.index.by_paths(["/media/plex/s1/d0/scene-0.mp4"]) == {}
    assert len(store.index.by_basenames(["scene.mp4"])["scene.mp4"]) == 2  # items 20 and 30 of section 1 + item 1000


def test_item_moving_between_sections_is_not_duplicated(store) -> None:
    store.index.replace_section(1, synthetic(1, 3))
    moved = PlexItemRecord(2, 2, [("/media/other/scene-1.mp4", 7)], {})
    store.index.replace_section(2, [moved])
    assert count(store, 1) == 2
    assert store.index.by_paths(["/media/plex/s1/d1/scene-1.mp4"]) == {}
    assert store.index.by_basenames(["scene-1.mp4"]) == {"scene-1.mp4": [PlexPart(2, "/media/other/scene-1.mp4", 7)]}


def test_iterate_and_get(store) -> None:
    windows_item = PlexItemRecord(5, 3, [("C:/Media/new.mkv", None)], {"title": "New", "duration": 60_000})
    store.index.replace_section(3, [windows_item if r.rating_key == 5 else r for r in synthetic(3, 25)])
    items = list(store.index.iter_section(3, page_size=7))
    assert [item.rating_key for item in items] == list(range(1, 26))
    assert items[4] == PlexItemRecord(5, 3, [("C:/Media/new.mkv", None)], {"title": "New", "duration": 60_000})
    assert items[0].parts == [("/media/plex/s3/d0/scene-0.mp4", 1000), ("/media/plex/s3/extra/scene.mp4", 5)]
    assert store.index.by_basenames(["new.mkv"]) == {"new.mkv": [PlexPart(5, "C:/Media/new.mkv", None, 60_000)]}
    assert store.index.items([5])[5] == items[4] and store.index.items([1])[1] == items[0]
    assert store.index.items([999]) == {}


def test_basename_of_a_normalised_path() -> None:
    assert basename("/a/b/c.mp4") == "c.mp4"
    assert basename("D:/x/y.mkv") == "y.mkv"


def test_the_listing_is_read_without_the_write_lock(store, db_path) -> None:
    """While the items are being read (network I/O in production), another process can still write."""
    from sync_queue import Store

    def items():
        with Store(db_path) as other:  # a hook in another process, writing meanwhile
            assert other.queue.enqueue([EnqueueRequest(1, "edited")]).queued == 1
        yield from synthetic(1, 3)

    assert store.index.replace_section(1, items()) == 3
    assert count(store, 1) == 3
