"""New files reach Plex (issue 22), end to end: Stash's scan creates a scene whose file Plex has on disk but has not
scanned; the plugin asks Plex to scan that folder and syncs the scene once the item appears."""

from __future__ import annotations

import pytest

from simulators import dataset

pytestmark = pytest.mark.e2e


@pytest.mark.e2e
def test_a_stash_scan_of_a_new_file_ends_with_the_item_in_plex_and_exact(make_env) -> None:
    env = make_env(scenes=20, plex_kwargs={"scan_delay_s": 1.0}, path_map=f"{dataset.STASH_ROOT}={dataset.PLEX_ROOT}")
    path = f"{dataset.STASH_ROOT}/Unsorted/brand-new.mp4"
    rating_key = env.plex.add_file(path, 100_000_000, 600_000)  # on Plex's disk, not in its library
    created, runs = env.stash.create_scene(title="Brand new scene", path=path)
    assert [r.error for r in runs] == [None]
    env.wait_drained(timeout=90)
    item = env.plex.item_for_stash_path(path)
    assert item is not None and item.rating_key == rating_key  # no one scanned Plex but the plugin
    assert item.title == "Brand new scene"
    assert [r.path.split("?")[0] for r in env.plex.log if r.kind == "refresh"] == ["/library/sections/1/refresh"]
