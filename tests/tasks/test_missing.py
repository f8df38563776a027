"""Scenes Not in Plex (issue 22): each scene Plex lacks or holds ambiguously is listed with its path and why; with
tag_not_in_plex the scenes carry a Stash tag exactly while Plex lacks them."""

from __future__ import annotations

import pytest

from plugin import log
from plugin.io import PluginInput, StashServer
from simulators import dataset
from stash.scene import NOT_IN_PLEX_TAG, to_metadata
from tasks import sync
from tasks.missing import scenes_not_in_plex
from tests.fakes import FakePlex, FakeStash, make_context, scene


def test_every_scene_not_in_plex_or_ambiguous_is_listed_with_path_and_reason(tmp_path, monkeypatch) -> None:
    stash = FakeStash([scene(1), scene(2), scene(3, path="/x/a.mp4"), scene(4, path="/y/a.mp4")])
    plex = FakePlex()
    plex.add(101, "/data/scene-1.mp4")
    plex.add(201, "/plex/p/a.mp4")
    plex.add(202, "/plex/q/a.mp4")
    lines: list[str] = []
    monkeypatch.setattr(log, "info", lines.append)
    ctx = make_context(tmp_path, stash, plex, path_map="/data=/data")
    try:
        summary = scenes_not_in_plex(ctx)
    finally:
        ctx.close()
    assert summary == "Scenes not in Plex: 2 ambiguous, 1 in Plex, 1 not in Plex"
    listed = [line for line in lines if line.startswith(("not in Plex:", "ambiguous:"))]
    assert [line.split(":", 1)[0] + line.split(":", 1)[1].split(" /")[0] for line in listed] == [
        "not in Plex scene 2", "ambiguous scene 3", "ambiguous scene 4"]
    assert "/data/scene-2.mp4" in listed[0] and "/x/a.mp4" in listed[1] and "/y/a.mp4" in listed[2]


def test_our_tag_is_never_a_tag_synced_to_plex() -> None:
    raw = scene(1)
    raw["tags"] = [{"id": "1", "name": "Outdoor"}, {"id": "9", "name": NOT_IN_PLEX_TAG}]
    assert to_metadata(raw).tags == ("Outdoor",)


@pytest.mark.e2e
def test_the_tag_is_added_then_taken_off_when_plex_has_the_file(make_stash_sim, make_plex_sim, tmp_path) -> None:
    from worker.context import open_context

    stash = make_stash_sim(scenes=60)
    plex = make_plex_sim(scenes=60)
    stash.configure_plugin("Stash2Plex", {"plex_url": plex.url, "plex_token": plex.token, "tag_not_in_plex": True})
    server = StashServer("http", "127.0.0.1", stash.port, plugin_dir=str(tmp_path))

    def run(task=scenes_not_in_plex) -> tuple[str, set[int]]:
        ctx = open_context(PluginInput(server, {}, None, "not_in_plex"))
        try:
            said = task(ctx)
        finally:
            ctx.close()
        tag = next(t for t in stash.store.tags() if t["name"] == NOT_IN_PLEX_TAG)
        return said, {int(s["id"]) for s in stash.store.scenes() if tag["id"] in s["tag_ids"]}

    missing = {i for i in range(1, 61) if not dataset.in_plex(str(i))}
    assert len(missing) >= 2  # the dataset leaves some scenes out of Plex
    said, tagged = run()
    assert tagged == missing and f"added to {len(missing)} scenes, taken off 0" in said
    arrived = min(missing)
    plex.add_scene(arrived)
    plex.refresh()
    said, tagged = run()
    assert tagged == missing - {arrived} and "added to 0 scenes, taken off 1" in said
    later = max(missing)  # found by a sync: the drain takes the tag off, no task needed
    plex.add_scene(later)
    plex.refresh()
    said, tagged = run(sync.sync_all)
    assert tagged == missing - {arrived, later} and said.startswith("Sync All:")
