from __future__ import annotations

import pytest

from mapping.path_map import PathMap, infer
from plex.parse import normalise_path
from plugin.settings import parse_pairs
from simulators import dataset


@pytest.mark.parametrize("raw,expected", [
    ("\\\\?\\C:\\Media\\Stash\\a.mp4", "C:/Media/Stash/a.mp4"),
    ("\\\\?\\UNC\\nas\\share\\a.mp4", "//nas/share/a.mp4"),
    ("\\\\nas\\share\\dir\\", "//nas/share/dir"),
    ("/data//stash/", "/data/stash"),
    ("/", "/"),
])
def test_normalise(raw, expected):
    assert normalise_path(raw) == expected


def test_parse_and_map_longest_prefix_wins():
    pm = PathMap.parse("/data=/media; /data/stash/=/mnt/plex/")
    assert pm.to_plex("/data/stash/x/a.mp4") == "/mnt/plex/x/a.mp4"
    assert pm.to_plex("/data/other/a.mp4") == "/media/other/a.mp4"
    assert pm.to_plex("/elsewhere/a.mp4") == "/elsewhere/a.mp4"
    assert str(pm) == "/data=/media;/data/stash=/mnt/plex/"


def test_prefix_matches_whole_components_only():
    pm = PathMap.parse("/data/a=/x")
    assert pm.to_plex("/data/ab/f.mp4") == "/data/ab/f.mp4"


def test_windows_stash_paths_compare_case_sensitively():
    pm = PathMap.parse("C:\\Media=/volume1/media")
    assert pm.to_plex("\\\\?\\C:\\Media\\Studio\\A.mp4") == "/volume1/media/Studio/A.mp4"
    assert pm.to_plex("c:\\media\\a.mp4") == "c:/media/a.mp4"


def test_parse_pairs_reports_bad_entries_and_keeps_the_good():
    assert parse_pairs(" /a=/b ; oops ; ;/c=/d") == ([("/a", "/b"), ("/c", "/d")], ["oops"])


def test_windows_plex_prefix():
    pm = PathMap.parse("/data=D:\\Media")
    assert pm.to_plex("/data/a/b.mp4") == "D:/Media/a/b.mp4"


@pytest.mark.parametrize("bad", ["/data", "=/x", "/x="])
def test_parse_rejects_bad_entries(bad):
    with pytest.raises(ValueError, match="stash_prefix=plex_prefix"):
        PathMap.parse(bad)


def test_infer_on_generated_library():
    lib = dataset.generate(seed=7, n=300)
    stash = [f["path"] for s in lib.scenes.values() for f in s["files"]]
    plex = [dataset.plex_path(f["path"]) for s in lib.scenes.values() if dataset.in_plex(s["id"]) for f in s["files"]]
    pm, evidence = infer(stash, plex)
    assert pm is not None
    assert pm.rules == ((dataset.STASH_ROOT, dataset.PLEX_ROOT),)
    assert evidence.votes[(dataset.STASH_ROOT, dataset.PLEX_ROOT)] >= 150
    assert "sampled" in evidence.describe()
    assert all(pm.to_plex(s) == p for s, p in evidence.examples)


def test_infer_identity_and_no_clear_majority():
    paths = [f"/m/{i}/f{i}.mp4" for i in range(10)]
    pm, _ = infer(paths, paths)
    assert pm == PathMap()
    stash = [f"/s/f{i}.mp4" for i in range(10)]
    plex = [f"/a/f{i}.mp4" for i in range(5)] + [f"/b/f{i}.mp4" for i in range(5, 10)]
    pm, evidence = infer(stash, plex)
    assert pm is None and evidence.with_candidates == 10


def test_infer_without_common_names_is_none():
    pm, evidence = infer(["/a/x.mp4"], ["/b/y.mp4"])
    assert pm is None and evidence.with_candidates == 0
