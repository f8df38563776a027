"""The simulated library: built from the dataset, paging, lookups, scans, counters and the request log."""

from __future__ import annotations

from urllib.parse import quote

import pytest
import requests
from plexapi.exceptions import NotFound
from plexapi.server import PlexServer

from simulators import dataset

pytestmark = pytest.mark.e2e  # the Plex simulator runs as a server


@pytest.fixture
def plex(plex_sim) -> PlexServer:
    return PlexServer(plex_sim.url, plex_sim.token, timeout=5)


def _lookup(section, path: str):
    return section.fetchItems(f"/library/sections/{section.key}/all?type=1&file={quote(path, safe='')}")


def test_library_mirrors_the_dataset(plex_sim):
    lib = dataset.generate(1, 50)
    present = [sid for sid in lib.scenes if dataset.in_plex(sid)]
    assert len(present) == 48
    for sid in present:
        scene = lib.scenes[sid]
        state = plex_sim.item_for_stash_path(scene["files"][0]["path"])
        assert state is not None and state.rating_key == 10000 + int(sid)
        assert state.files == [dataset.plex_path(f["path"]) for f in scene["files"]]
        assert state.title == scene["files"][0]["basename"].rsplit(".", 1)[0]
        assert (state.summary, state.studio, state.genres, state.actors, state.locked) == (None, None, [], [], set())
    assert plex_sim.item_for_stash_path(lib.scenes["25"]["files"][0]["path"]) is None


def test_parts_carry_size_and_duration(plex):
    lib = dataset.generate(1, 50)
    movie = plex.fetchItem(10010)  # scene 10 has two files -> two Media
    files = lib.scenes["10"]["files"]
    parts = [p for m in movie.media for p in m.parts]
    assert [(p.file, p.size, p.duration) for p in parts] == [
        (dataset.plex_path(f["path"]), f["size"], round(f["duration"] * 1000)) for f in files]


def test_paging_with_total_size(plex_sim, plex):
    movies = plex.library.sectionByID(1).all(container_size=7)
    assert sorted(m.ratingKey for m in movies) == sorted(10000 + int(s) for s in range(1, 51) if s % 25)
    listing_log = [e for e in plex_sim.log if e.kind == "listing"]
    assert len(listing_log) == 7
    assert plex_sim.counts["listing"] == 7


def test_paging_by_query_parameters(plex_sim):
    resp = requests.get(f"{plex_sim.url}/library/sections/1/all",
                        params={"X-Plex-Container-Start": 5, "X-Plex-Container-Size": 3, "type": 1,
                                "X-Plex-Token": plex_sim.token}, timeout=5)
    head = resp.text.split("<Video", 1)[0]
    assert 'size="3"' in head and 'totalSize="48"' in head and 'offset="5"' in head
    assert 'librarySectionID="1"' in head
    assert resp.text.count("<Video ") == 3


def test_file_filter_is_a_substring_match(plex_sim, plex):
    section = plex.library.sectionByID(1)
    lib = dataset.generate(1, 50)
    path = dataset.plex_path(lib.scenes["40"]["files"][0]["path"])
    assert path.endswith("/40/scene.mp4")
    assert [m.ratingKey for m in _lookup(section, path)] == [10040]
    assert len(_lookup(section, "/scene.mp4")) >= 1
    assert len(_lookup(section, dataset.PLEX_ROOT)) == 48
    assert _lookup(section, "/nope/none.mp4") == []
    assert plex_sim.counts["lookup"] == 4 and plex_sim.counts["listing"] == 0  # counted apart from listings


def test_title_filter_and_other_section(plex):
    section = plex.library.sectionByID(1)
    hits = section.search(title="sunset")
    assert hits and all("sunset" in m.title.lower() for m in hits)
    other = plex.library.section("Other Movies")
    assert other.key == 2
    assert len(other.all()) == 4
    assert all(loc.startswith("/media/other/") for m in other.all() for loc in m.locations)


def test_unknown_item_is_not_found(plex):
    with pytest.raises(NotFound):
        plex.fetchItem(424242)


def test_added_scene_appears_after_a_scan(plex_sim, plex):
    section = plex.library.sectionByID(1)
    path = dataset.plex_path(dataset.generate(1, 50).scenes["25"]["files"][0]["path"])
    rk = plex_sim.add_scene(25)
    assert _lookup(section, path) == []
    section.update(path="/media/other")  # a scan of another folder does not pick it up
    assert _lookup(section, path) == []
    section.update()
    assert [m.ratingKey for m in _lookup(section, path)] == [rk]
    assert plex_sim.counts["refresh"] == 2
    with pytest.raises(ValueError):
        plex_sim.add_scene(25)


def test_scan_bumps_section_timestamps(plex_sim, plex):
    before = plex.library.sectionByID(1)._data.attrib
    plex_sim.add_scene(50)
    plex_sim.refresh(1)
    plex2 = PlexServer(plex_sim.url, plex_sim.token, timeout=5)
    after = plex2.library.sectionByID(1)._data.attrib
    assert int(after["scannedAt"]) > int(before["scannedAt"])
    assert int(after["contentChangedAt"]) > int(before["contentChangedAt"])


def test_counters_by_kind_and_reset(plex_sim, plex):
    movie = plex.fetchItem(10001)
    movie.editTitle("T")
    movie.uploadPoster(filepath=b"p")
    movie.rate(5)
    movie.markPlayed()
    movie.updateProgress(5000)
    movie.refresh()
    plex.library.sectionByID(1).all()
    requests.get(f"{plex_sim.url}/_sim/stats", timeout=5)
    assert plex_sim.counts == {"listing": 1, "lookup": 0, "item": 1, "edit": 1, "poster": 1, "rate": 1, "watch": 2,
                               "refresh": 1, "root": 1, "sections": 2, "other": 0, "total": 11}
    assert plex_sim.write_count(10001) == 5  # edit, poster, rate, scrobble, progress
    assert plex_sim.edit_count(10001) == 1
    plex_sim.reset_counts()
    assert plex_sim.counts["total"] == 0 and plex_sim.log == []


def test_log_never_holds_the_token(plex_sim):
    requests.get(f"{plex_sim.url}/library/sections?X-Plex-Token={plex_sim.token}", timeout=5)
    requests.get(f"{plex_sim.url}/library/sections", headers={"X-Plex-Token": plex_sim.token}, timeout=5)
    entries = plex_sim.log
    assert [(e.path, e.status, e.kind) for e in entries] == [("/library/sections", 200, "sections")] * 2
    assert plex_sim.token not in repr(entries)
    assert plex_sim.token not in requests.get(f"{plex_sim.url}/_sim/log", timeout=5).text


def test_control_endpoints(plex_sim):
    base = f"{plex_sim.url}/_sim"
    state = requests.post(f"{base}/items/10001", json={"title": "Via control", "genres": ["X"]}, timeout=5).json()
    assert state["title"] == "Via control" and state["genres"] == ["X"] and "title" in state["locked"]
    assert requests.get(f"{base}/items/10001", timeout=5).json()["title"] == "Via control"
    assert requests.get(f"{base}/items/1", timeout=5).status_code == 404
    assert requests.post(f"{base}/add-scene/25", timeout=5).json() == {"ratingKey": 10025}
    assert requests.post(f"{base}/refresh/1", timeout=5).json() == {"added": [10025]}
    stats = requests.get(f"{base}/stats", timeout=5).json()
    assert stats["counts"]["total"] == 0 and stats["items"] == 53 and stats["pending"] == 0


def test_unicode_paths_round_trip_through_file_lookup(plex):
    section = plex.library.sectionByID(1)
    lib = dataset.generate(1, 50)
    for sid in ("7", "28"):
        path = dataset.plex_path(lib.scenes[sid]["files"][0]["path"])
        found = _lookup(section, path)
        assert [(m.ratingKey, m.locations[0]) for m in found] == [(10000 + int(sid), path)]


def test_non_movie_type_lists_nothing(plex_sim):
    resp = requests.get(f"{plex_sim.url}/library/sections/1/all", params={"type": 18},
                        headers={"X-Plex-Token": plex_sim.token}, timeout=5)
    assert resp.status_code == 200
    assert 'totalSize="0"' in resp.text and "<Video" not in resp.text


def test_watch_state_as_plexapi_reads_and_writes_it(plex_sim) -> None:
    """viewCount/lastViewedAt/viewOffset are omitted at zero and read back by plexapi; markPlayed adds a view and
    clears the resume point, updateProgress sets it (and the last view time), markUnplayed clears both."""
    from plexapi.server import PlexServer

    plex = PlexServer(plex_sim.url, plex_sim.token)
    movie = plex.fetchItem(10001)
    assert (movie.viewCount, movie.viewOffset, movie.lastViewedAt) == (0, 0, None)
    movie.updateProgress(90_000)
    movie.markPlayed()
    movie.markPlayed()
    movie.updateProgress(42_000)
    movie.reload()
    assert (movie.viewCount, movie.viewOffset) == (2, 42_000) and movie.lastViewedAt is not None
    listed = next(m for m in plex.library.sectionByID(1).all() if m.ratingKey == 10001)
    assert (listed.viewCount, listed.viewOffset) == (2, 42_000)
    movie.markUnplayed()
    assert (plex_sim.item(10001).view_count, plex_sim.item(10001).view_offset) == (0, 0)
    assert plex_sim.item(10002).view_count == 0 and 'viewCount' not in plex.query("/library/metadata/10002")[0].attrib
