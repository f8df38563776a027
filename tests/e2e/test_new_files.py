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


def test_uninstall_unlocks_and_takes_back_only_ours(make_env) -> None:
    """The way back out against the simulated PMS (its lock and tag-list semantics), through Stash's task."""
    env = make_env(scenes=10, sync_poster=True)
    assert env.task("Sync All Scenes to Plex").error is None
    rating_key = next(rk for rk in env.plex.library.items if env.plex.item(rk).collections)
    mine = env.plex.item(rating_key).collections + ["My picks"]
    env.plex.user_edit(rating_key, collections=mine)  # the user's own collection, added in Plex (locks it)
    env.configure(enabled=False)  # as the README's Uninstall says: stop syncing first
    done = env.task("Uninstall - Unlock and Take Back Collections and Labels")
    assert done.error is None and done.output.startswith("Gave back")
    item = env.plex.item(rating_key)
    assert item.collections == ["My picks"]
    assert item.locked <= {"collection"}  # only the lock the user's own edit made in Plex remains
    assert all(not env.plex.item(rk).locked - {"collection"} for rk in env.plex.library.items)
