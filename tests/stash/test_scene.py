"""to_metadata: normalised fields, partial dates, missing relations."""

from __future__ import annotations

import pytest

from stash.scene import SceneFile, SceneMetadata, normalise_date, to_metadata

FULL = {
    "id": "17", "title": "Harbor Nights 17", "details": "Line one\nLine two", "date": "2021-05",
    "rating100": 80, "organized": True, "urls": ["https://example.com/scene/17", ""], "director": "J. Doe",
    "stash_ids": [{"stash_id": "0f1e2d3c"}],
    "updated_at": "2025-06-01T12:17:00+02:00", "created_at": "2025-06-01T12:17:00+02:00",
    "files": [{"path": "/data/stash/Harbor/a-17.mp4", "basename": "a-17.mp4", "size": 123456789, "duration": 61.5},
              {"path": "/data/stash/Harbor/a-17-b.mp4", "basename": "a-17-b.mp4", "size": 5, "duration": 2}],
    "paths": {"screenshot": "http://stash.example:9999/scene/17/screenshot?t=1748772000"},
    "studio": {"id": "6", "name": "Harbor Nights", "parent_studio": {"name": "Harbor & Co"}},
    "performers": [{"id": "3", "name": "Ava Stone"}, {"id": "1", "name": "Rémy Lane"}],
    "tags": [{"id": "2", "name": "Indoor"}, {"id": "19", "name": "A,B test"}],
    "movies": [{"movie": {"name": "Harbor Saga"}, "scene_index": 2}, {"movie": None}],
}


def test_full_scene() -> None:
    meta = to_metadata(FULL)
    assert meta == SceneMetadata(
        scene_id=17, title="Harbor Nights 17", details="Line one\nLine two", studio="Harbor Nights",
        performers=("Ava Stone", "Rémy Lane"), tags=("Indoor", "A,B test"),
        date="2021-05-01", rating100=80, updated_at="2025-06-01T12:17:00+02:00",
        files=(SceneFile("/data/stash/Harbor/a-17.mp4", 123456789, 61.5),
               SceneFile("/data/stash/Harbor/a-17-b.mp4", 5, 2.0)),
        cover_url="http://stash.example:9999/scene/17/screenshot?t=1748772000",
        director="J. Doe", studio_parent="Harbor & Co", organized=True, has_stash_id=True,
        groups=("Harbor Saga",),
    )


def test_bare_scene_gets_neutral_values() -> None:
    meta = to_metadata({"id": "3", "title": None, "details": None, "studio": None, "performers": [], "tags": [],
                        "files": [], "paths": None, "rating100": None, "date": None})
    assert (meta.title, meta.details, meta.studio) == ("", "", None)
    assert (meta.performers, meta.tags, meta.files) == ((), (), ())
    assert (meta.date, meta.rating100, meta.cover_url, meta.updated_at) == (None, None, None, "")


def test_files_without_a_path_are_skipped() -> None:
    meta = to_metadata({"id": "1", "files": [{"path": "C:\\Videos\\x.mp4"}, {"basename": "no-path"}]})
    assert meta.files == (SceneFile("C:\\Videos\\x.mp4", None, None),)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("2021", "2021-01-01"), ("2021-05", "2021-05-01"), ("2021-05-09", "2021-05-09"), (None, None), ("", None),
     ("2021-13", None), ("2021-02-30", None), ("May 2021", None), (2021, None), (" 2020-02-29 ", "2020-02-29")],
)
def test_partial_dates(raw, expected) -> None:
    assert normalise_date(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), [(0, None), (1, 1), (100, 100), (101, None), (True, None), ("80", None)])
def test_rating(raw, expected) -> None:
    assert to_metadata({"id": "1", "rating100": raw}).rating100 == expected
