"""New files reach Plex (issue 22): a scene Plex lacks under one of the library's folders gets its folder scanned
(coalesced, at most once per interval) and is looked up by file once the scan has had time to run."""

from __future__ import annotations

from stash.scene import to_metadata
from tasks import sync
from tests.fakes import FakePlex, FakeStash, make_context, scene
from worker.folder_scans import DAILY_S, SETTLE_S, SOON_S, FolderScans


def _world(tmp_path, **settings):
    stash = FakeStash([scene(1), scene(2, path="/data/new/scene-2.mp4"), scene(3, path="/data/new/scene-3.mp4"),
                       scene(4, path="/elsewhere/scene-4.mp4")])
    plex = FakePlex(root="/data")
    plex.add(101, "/data/scene-1.mp4")
    return stash, plex, make_context(tmp_path, stash, plex, path_map="/data=/data", **settings)


def test_a_sync_all_asks_once_per_folder_under_a_library_folder_and_once_a_day(tmp_path) -> None:
    stash, plex, ctx = _world(tmp_path)
    try:
        sync.sync_all(ctx)
        assert plex.scans == [(1, "/data/new")]  # scenes 2 and 3 share it; scene 4 is outside every library folder
        sync.sync_all(ctx)
        assert plex.scans == [(1, "/data/new")]  # a Sync All's folders: once a day
        assert ctx.scans.due(10**12) == [2, 3]  # looked up by file once the scan has had time
        assert ctx.scans.due(10**12) == []
        plex.add(102, "/data/new/scene-2.mp4")  # the scan found one of the two
        assert ctx.scans.arrived(ctx.stash, ctx.library(), [2, 3]) == [2]
    finally:
        ctx.close()


def test_off_asks_nothing(tmp_path) -> None:
    _, plex, ctx = _world(tmp_path, scan_new_files=False)
    try:
        sync.sync_all(ctx)
    finally:
        ctx.close()
    assert plex.scans == [] and not ctx.scans.waiting


def test_intervals_by_why_the_scene_was_queued(tmp_path) -> None:
    stash, plex, ctx = _world(tmp_path)
    library = ctx.library()
    scans = FolderScans()
    new_file = to_metadata(stash.scenes[2])
    scans.note(library, new_file, True)
    assert scans.flush(ctx.store, library, now=1000.0) == 1
    scans.note(library, new_file, True)
    assert scans.flush(ctx.store, library, now=1000.0 + SOON_S - 1) == 0  # a new file's folder: every few minutes
    assert scans.due(1000.0 + SETTLE_S - 1) == [] and scans.due(1000.0 + SETTLE_S) == [2]
    scans.note(library, new_file, True)
    assert scans.flush(ctx.store, library, now=1000.0 + SOON_S) == 1
    scans.note(library, new_file, False)
    assert scans.flush(ctx.store, library, now=1000.0 + SOON_S + DAILY_S - 1) == 0
    assert plex.scans == [(1, "/data/new")] * 2
    ctx.close()

