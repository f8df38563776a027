from __future__ import annotations

import pytest

from plex.push import build_edit_params, encode_params, merged_list

FIELDS = {
    "title": "T & T", "summary": "a\nb", "studio": "Blue Fern", "originallyAvailableAt": "2020-01-01",
    "userRating": 8.0, "genres": ("A", "B"), "actors": ("Jane Doe",), "collections": ("Blue Fern",),
}


def test_nothing_changed_means_no_params():
    assert build_edit_params(FIELDS, set()) == {}


def test_scalars_and_lists_locked():
    params = build_edit_params(FIELDS, {"title", "userRating", "genres", "actors"})
    assert params == {
        "actor[0].tag.tag": "Jane Doe", "actor.locked": "1",
        "genre[0].tag.tag": "A", "genre[1].tag.tag": "B", "genre.locked": "1",
        "title.value": "T & T", "title.locked": "1",
        "userRating.value": "8.0", "userRating.locked": "1",
    }


def test_an_emptied_list_removes_exactly_the_entries_present_and_none_rating_clears():
    """plexapi's removal form (`mixins/edit.py` `_tagHelper(remove=True)`: each name quoted, joined by commas),
    naming the entries this plugin pushed and those the listing shows, or the full item's when it was read; never
    the bare `[].tag=`."""
    fields = dict(FIELDS, genres=(), actors=(), directors=(), userRating=None)
    ours = {"genres": ["Big Tits", "a,b"], "actors": ["Ava"]}
    listed = {"genres": ["big tits", "Agent/Genre"], "actors": [], "directors": []}
    params = build_edit_params(fields, {"genres", "actors", "directors", "userRating"}, ours=ours, listed=listed)
    assert params["genre[].tag.tag-"] == "big%20tits,a%2Cb,Agent/Genre"
    assert params["actor[].tag.tag-"] == "Ava"
    assert "director[].tag.tag-" not in params and params["director.locked"] == "1"  # nothing there: only the lock
    assert not any(key.endswith("[].tag") for key in params)
    assert params["userRating.value"] == ""
    assert not any(k.startswith("genre[0]") for k in params)
    read = build_edit_params(fields, {"actors"}, current={"actors": ["Ava", "Bo"]}, ours=ours, listed=listed)
    assert read["actor[].tag.tag-"] == "Ava,Bo"


def test_changed_but_disabled_field_is_ignored():
    fields = {"title": "x"}
    assert build_edit_params(fields, {"title", "genres"}) == {"title.value": "x", "title.locked": "1"}


def test_collections_keep_users_own_and_replace_ours():
    assert merged_list(("Red Canary",), ["My Picks", "Blue Fern", "Faves"], ["Blue Fern"]) == [
        "My Picks", "Faves", "Red Canary"]
    assert merged_list((), ["Blue Fern"], ["Blue Fern"]) == []
    assert merged_list(("Blue Fern",), ["blue fern", "X"], []) == ["X", "Blue Fern"]
    params = build_edit_params(dict(FIELDS, collections=()), {"collections"}, {"collections": ["Blue Fern"]},
                               {"collections": ["Blue Fern"]})
    assert params == {"collection[].tag.tag-": "Blue%20Fern", "collection.locked": "1"}


def test_labels_merge_like_collections_and_a_dropped_kind_is_taken_back():
    current = {"labels": ["Kids OK", "Old Tag"], "genres": ["Agent Genre", "Old Tag"]}
    ours = {"labels": ["Old Tag"], "genres": ["Old Tag"]}
    params = build_edit_params({"labels": ("New Tag",)}, {"labels"}, current, ours, retract=("genres",))
    assert params == {"label[0].tag.tag": "Kids OK", "label[1].tag.tag": "New Tag", "label.locked": "1",
                      "genre[0].tag.tag": "Agent Genre", "genre.locked": "1"}


def test_actor_photos_go_with_the_actors_and_carry_the_key_only_on_the_wire():
    fields = {"actors": ("Jane Doe", "John Roe"), "actorPhotos": ("http://stash/performer/1/image?t=5", "")}
    params = build_edit_params(fields, {"actorPhotos"}, photo_url=lambda link: link + "&apikey=K")
    assert params == {"actor[0].tag.tag": "Jane Doe", "actor[0].tag.thumb": "http://stash/performer/1/image?t=5&apikey=K",
                      "actor[1].tag.tag": "John Roe", "actor.locked": "1"}
    assert "K" not in repr(fields)


def test_collections_need_current_state():
    with pytest.raises(ValueError, match="read_item"):
        build_edit_params(FIELDS, {"collections"})


def test_encoding_matches_plexapi():
    assert encode_params({"genre[0].tag.tag": "Sci-Fi & Fantasy", "summary.value": "a b\n100%"}) == (
        "genre%5B0%5D.tag.tag=Sci-Fi%20%26%20Fantasy&summary.value=a%20b%0A100%25")
