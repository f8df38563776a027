"""The stored Plex index: streaming replacement and lookups."""

from __future__ import annotations

import tracemalloc
from typing import Iterator

from store.plex_items import (
    PlexItemRecord,
    PlexPart,
    basename,
    by_basenames,
    by_paths,
    get_item,
    iter_items,
    replace_section,
    section_item_count,
)

ITEMS = 100_000


def synthetic(section_id: int, count: int, offset: int = 0) -> Iterator[PlexItemRecord]:
    for i in range(offset, offset + count):
        parts = [(f"/media/plex/s{section_id}/d{i % 100}/scene-{i}.mp4", 1000 + i)]
        if i % 10 == 0:
            parts.append((f"/media/plex/s{section_id}/extra/scene.mp4", 5))  # shared basename
        yield PlexItemRecord(rating_key=i + 1, section_id=section_id, parts=parts, fields={"title": f"Scene {i}"})


def test_replace_section_streams_100k_items(conn) -> None:
    tracemalloc.start()
    try:
        assert replace_section(conn, 1, synthetic(1, ITEMS)) == ITEMS
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * 1024 * 1024, f"peak Python memory {peak} bytes: items were not streamed"
    assert section_item_count(conn, 1) == ITEMS
    path = "/media/plex/s1/d42/scene-99942.mp4"
    assert by_paths(conn, [path, "/nope.mp4"]) == {path: [PlexPart(99943, path, 100942)]}
    shared = by_basenames(conn, ["scene.mp4", "scene-5.mp4"])
    assert len(shared["scene.mp4"]) == ITEMS // 10
    assert shared["scene-5.mp4"] == [PlexPart(6, "/media/plex/s1/d5/scene-5.mp4", 1005)]


def test_replace_section_drops_what_is_gone_and_leaves_other_sections(conn) -> None:
    replace_section(conn, 1, synthetic(1, 50))
    replace_section(conn, 2, synthetic(2, 5, offset=1000))
    assert replace_section(conn, 1, synthetic(1, 10, offset=20)) == 10
    assert section_item_count(conn, 1) == 10 and section_item_count(conn, 2) == 5
    assert by_paths(conn, ["/media/plex/s1/d0/scene-0.mp4"]) == {}
    assert len(by_basenames(conn, ["scene.mp4"])["scene.mp4"]) == 2  # items 20 and 30 of section 1 + item 1000


def test_item_moving_between_sections_is_not_duplicated(conn) -> None:
    replace_section(conn, 1, synthetic(1, 3))
    moved = PlexItemRecord(2, 2, [("/media/other/scene-1.mp4", 7)], {})
    replace_section(conn, 2, [moved])
    assert section_item_count(conn, 1) == 2
    assert by_paths(conn, ["/media/plex/s1/d1/scene-1.mp4"]) == {}
    assert by_basenames(conn, ["scene-1.mp4"]) == {"scene-1.mp4": [PlexPart(2, "/media/other/scene-1.mp4", 7)]}


def test_iterate_and_get(conn) -> None:
    windows_item = PlexItemRecord(5, 3, [("C:\\Media\\new.mkv", None)], {"title": "New"})
    replace_section(conn, 3, [windows_item if r.rating_key == 5 else r for r in synthetic(3, 25)])
    items = list(iter_items(conn, 3, page_size=7))
    assert [item.rating_key for item in items] == list(range(1, 26))
    assert items[4] == PlexItemRecord(5, 3, [("C:\\Media\\new.mkv", None)], {"title": "New"})
    assert items[0].parts == [("/media/plex/s3/d0/scene-0.mp4", 1000), ("/media/plex/s3/extra/scene.mp4", 5)]
    assert by_basenames(conn, ["new.mkv"]) == {"new.mkv": [PlexPart(5, "C:\\Media\\new.mkv", None)]}
    assert get_item(conn, 5) == items[4] and get_item(conn, 1) == items[0]
    assert get_item(conn, 999) is None


def test_basename_handles_both_separators() -> None:
    assert basename("/a/b/c.mp4") == "c.mp4"
    assert basename("D:\\x\\y.mkv") == "y.mkv"
