from __future__ import annotations

import pytest

from mapping.matcher import AMBIGUOUS, MATCHED, NOT_FOUND, match
from mapping.path_map import PathMap
from stash.scene import SceneFile
from sync_queue import Store
from sync_queue.index import PlexItemRecord, PlexPart

PM = PathMap.parse("/data/stash=/media/plex")


class CountingIndex:
    """The production index (a real store), with its lookups counted."""

    def __init__(self, store: Store, parts: list[PlexPart]) -> None:
        self.index, self.calls = store.index, []
        records = [PlexItemRecord(p.rating_key, 1, [(p.path, p.size)], {"duration": p.duration_ms}) for p in parts]
        merged: dict = {}
        for record in records:  # one record per item, all its parts
            merged.setdefault(record.rating_key, PlexItemRecord(record.rating_key, 1, [], record.fields))
            merged[record.rating_key].parts.extend(record.parts)
        self.index.replace_section(1, merged.values())

    def by_paths(self, paths):
        self.calls.append(("paths", tuple(paths)))
        return self.index.by_paths(paths)

    def by_basenames(self, names):
        self.calls.append(("names", tuple(names)))
        return self.index.by_basenames(names)


@pytest.fixture
def stored_index(tmp_path):
    stores = []

    def make(parts):
        stores.append(Store(tmp_path / f"index{len(stores)}.sqlite3"))
        return CountingIndex(stores[-1], parts)

    yield make
    for store in stores:
        store.close()


def f(path, size=100, duration=None):
    return SceneFile(path=path, size=size, duration=duration)


def test_full_path_match_needs_one_lookup(stored_index):
    lookup = stored_index([PlexPart(1, "/media/plex/A/a.mp4", 100), PlexPart(2, "/media/plex/B/a.mp4", 100)])
    result = match([f("/data/stash/A/a.mp4")], lookup, PM)
    assert result.status == MATCHED and result.rating_keys == (1,)
    assert lookup.calls == [("paths", ("/media/plex/A/a.mp4",))]


def test_unique_basename_matches_when_prefix_unknown(stored_index):
    lookup = stored_index([PlexPart(5, "/elsewhere/x/b.mp4", 7)])
    result = match([f("/data/stash/A/b.mp4", size=7)], lookup, PM)
    assert result == result.__class__(MATCHED, (5,), "")


def test_same_name_with_another_size_is_another_file(stored_index):
    lookup = stored_index([PlexPart(5, "/elsewhere/x/b.mp4", 7)])
    assert match([f("/data/stash/A/b.mp4", size=999)], lookup, PM).status == NOT_FOUND


def test_duplicate_basename_size_breaks_tie_else_strict_reports(stored_index):
    parts = [PlexPart(1, "/x/1/scene.mp4", 100), PlexPart(2, "/x/2/scene.mp4", 200)]
    lookup = stored_index(parts)
    assert match([f("/data/stash/q/scene.mp4", size=200)], lookup, PM).rating_keys == (2,)
    assert match([f("/data/stash/q/scene.mp4", size=300)], lookup, PM, strict=True).status == NOT_FOUND
    twins = stored_index([PlexPart(1, "/x/1/scene.mp4", 100), PlexPart(2, "/x/2/scene.mp4", 100)])
    result = match([f("/data/stash/q/scene.mp4", size=100)], twins, PM, strict=True)
    assert result.status == AMBIGUOUS and result.rating_keys == ()
    assert "2 Plex items" in result.detail


def test_non_strict_resolves_by_size_then_closest_duration(stored_index):
    parts = [PlexPart(1, "/x/1/scene.mp4", 100, 60_000), PlexPart(2, "/x/2/scene.mp4", 300, 60_000)]
    assert match([f("/s/scene.mp4", size=300)], stored_index(parts), PM, strict=False).rating_keys == (2,)
    same_size = [PlexPart(1, "/x/1/scene.mp4", 100, 60_000), PlexPart(2, "/x/2/scene.mp4", 100, 90_000)]
    result = match([f("/s/scene.mp4", size=100, duration=89.5)], stored_index(same_size), PM, strict=False)
    assert result.rating_keys == (2,)


def test_multi_file_scene_matches_every_item(stored_index):
    lookup = stored_index([PlexPart(1, "/media/plex/A/a.mp4", 1), PlexPart(2, "/media/plex/A/a-b.mp4", 1)])
    result = match([f("/data/stash/A/a.mp4"), f("/data/stash/A/a-b.mp4")], lookup, PM)
    assert result.status == MATCHED and result.rating_keys == (1, 2)


def test_partial_match_reports_missing_file(stored_index):
    lookup = stored_index([PlexPart(1, "/media/plex/A/a.mp4", 1)])
    result = match([f("/data/stash/A/a.mp4"), f("/data/stash/A/gone.mp4")], lookup, PM)
    assert result.status == MATCHED and result.rating_keys == (1,)
    assert "gone.mp4" in result.detail


def test_not_found_and_no_files(stored_index):
    lookup = stored_index([])
    assert match([f("/data/stash/z.mp4")], lookup, PM).status == NOT_FOUND
    assert match([], lookup, PM).status == NOT_FOUND


def test_windows_paths(stored_index):
    lookup = stored_index([PlexPart(9, "/media/A/a.mp4", 1)])
    windows = f("\\\\?\\C:\\stash\\A\\a.mp4", size=1)
    assert match([windows], lookup, PathMap.parse("C:\\stash=/media")).rating_keys == (9,)


def test_absent_from_a_library_folder_is_not_found_even_with_a_same_name_twin(stored_index):
    lookup = stored_index([PlexPart(9, "/media/plex/B/scene.mp4", 7)])
    scene_file = f("/data/stash/A/scene.mp4", size=7)
    assert match([scene_file], lookup, PM).rating_keys == (9,)
    result = match([scene_file], lookup, PM, library_roots=["/media/plex"])
    assert result.status == NOT_FOUND and "/media/plex/A/scene.mp4" in result.detail
