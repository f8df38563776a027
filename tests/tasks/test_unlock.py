"""The way back out (issue 22): every field this plugin locked is unlocked; taking back removes the collections
and labels it added and leaves the user's own."""

from __future__ import annotations

from tasks import sync
from tasks.unlock import unlock, unlock_and_take_back
from tests.fakes import in_plex, make_context


def test_unlock_leaves_values_and_takes_back_only_what_asked(tmp_path) -> None:
    stash, plex = in_plex(2)
    ctx = make_context(tmp_path, stash, plex, tags_as="both")
    try:
        sync.sync_all(ctx)
        item = plex.items[101]
        assert {"title", "collection", "label", "genre"} <= item.locked
        assert item.fields["collections"] == ["Studio"] and item.fields["labels"] == ["Tag"]
        item.fields["collections"].append("My picks")  # the user's own, added in Plex
        item.fields["labels"].append("Kids-safe")

        assert unlock(ctx).startswith("Gave back 2 Plex items (fields unlocked; your own entries stay)")
        assert item.locked == set()
        assert item.fields["collections"] == ["Studio", "My picks"] and item.fields["title"] == "Scene 1"

        assert unlock_and_take_back(ctx).startswith("Gave back 2 Plex items (fields unlocked, collections and "
                                                    "labels of ours taken back")
        assert item.fields["collections"] == ["My picks"] and item.fields["labels"] == ["Kids-safe"]
        assert item.fields["genres"] == ["Tag"] and item.locked == set()  # genres are Stash's list: left as they are
        assert plex.items[102].fields["collections"] == [] and plex.items[102].locked == set()
    finally:
        ctx.close()
