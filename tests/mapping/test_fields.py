from __future__ import annotations

from mapping.fields import (
    SyncToggles,
    clean_text,
    content_hash,
    desired_fields,
    diff,
    edited_in_plex,
    field_hash,
    field_hashes,
)
from stash.scene import SceneMetadata
from tests.fakes import metadata


def Scene(**changes) -> SceneMetadata:  # noqa: N802 - reads as the scene it builds
    """A full production `SceneMetadata`, every synced field set, with `changes` applied."""
    full = dict(title="Title", details="Line one\nLine two & 100% = #1", studio="Blue Fern",
                performers=("Ava Stone", "Leo Vale"), tags=("Outdoor", "Q&A"), date="2020-05-17", rating100=80,
                performer_photos=(("Leo Vale", "http://stash/performer/2/image?t=9"),))
    return metadata(**{**full, **changes})


def test_full_scene_maps_every_field():
    fields = desired_fields(Scene())
    assert fields == {
        "title": "Title",
        "summary": "Line one\nLine two & 100% = #1",
        "studio": "Blue Fern",
        "originallyAvailableAt": "2020-05-17",
        "userRating": 8.0,
        "genres": ("Outdoor", "Q&A"),
        "actors": ("Ava Stone", "Leo Vale"),
        "collections": ("Blue Fern",),
        "directors": (),
    }


def test_director_parent_studio_and_content_rating_when_chosen():
    scene = Scene(director="J. Doe", studio_parent="Fern Group")
    fields = desired_fields(scene, SyncToggles(parent_studio=True, content_rating="XXX"))
    assert fields["directors"] == ("J. Doe",) and fields["contentRating"] == "XXX"
    assert fields["collections"] == ("Blue Fern", "Fern Group")
    assert desired_fields(scene, SyncToggles(collection=False, parent_studio=True))["collections"] == ("Fern Group",)
    assert "directors" not in desired_fields(scene, SyncToggles(director=False))
    assert "contentRating" not in desired_fields(scene)  # empty: Plex's own rating is left alone


def test_groups_are_collections_beside_the_studio_unless_switched_off():
    scene = Scene(groups=("Saga One", "blue fern", "Saga Two"))
    assert desired_fields(scene)["collections"] == ("Blue Fern", "Saga One", "Saga Two")  # one per name, any case
    assert desired_fields(scene, SyncToggles(groups=False))["collections"] == ("Blue Fern",)
    assert desired_fields(scene, SyncToggles(collection=False))["collections"] == ("Saga One", "blue fern", "Saga Two")


def test_empty_values_clear_but_empty_title_is_left_alone():
    fields = desired_fields(Scene(title="  ", details="", studio=None, performers=(), tags=(), date=None,
                                  rating100=None))
    assert "title" not in fields
    assert fields["summary"] == ""
    assert fields["studio"] == ""
    assert fields["originallyAvailableAt"] == ""
    assert fields["userRating"] is None
    assert fields["genres"] == () and fields["actors"] == () and fields["collections"] == ()


def test_toggles_remove_fields_entirely():
    toggles = SyncToggles(tags=False, performers=False, collection=False, rating=False, director=False,
                          groups=False)
    assert set(desired_fields(Scene(), toggles)) == {"title", "summary", "studio", "originallyAvailableAt"}


def test_toggles_from_settings_default_on():
    class Settings:
        sync_tags = False

    toggles = SyncToggles.from_settings(Settings())
    assert toggles.tags is False and toggles.studio is True


def test_text_kept_except_rejected_control_characters():
    text = "Café 東京 🎬\n\tok\x00\x07\x1b end\r\nnext"
    assert clean_text(text) == "Café 東京 🎬\n\tok end\nnext"


def test_lists_keep_order_and_drop_duplicates():
    fields = desired_fields(Scene(tags=("B", "A", "b", "", "A", "C")))
    assert fields["genres"] == ("B", "A", "C")


def test_date_is_sent_as_stash_normalised_it():
    assert desired_fields(Scene(date="2021-07-01"))["originallyAvailableAt"] == "2021-07-01"
    assert desired_fields(Scene(date=None))["originallyAvailableAt"] == ""


def test_rating_scale():
    assert desired_fields(Scene(rating100=47))["userRating"] == 4.7
    assert desired_fields(Scene(rating100=100))["userRating"] == 10.0


def test_diff_first_sync_is_everything_then_only_changes():
    first = field_hashes(desired_fields(Scene()))
    assert diff(first, None) == set(first)
    assert diff(first, first) == set()
    second = field_hashes(desired_fields(Scene(tags=("Outdoor",), studio="Red Canary")))
    assert diff(second, first) == {"genres", "studio", "collections"}
    assert content_hash(first) != content_hash(second)


def test_disabled_field_is_not_a_change():
    first = field_hashes(desired_fields(Scene()))
    later = field_hashes(desired_fields(Scene(tags=("X",)), SyncToggles(tags=False)))
    assert diff(later, first) == set()


def test_edited_in_plex_compares_only_pushed_fields():
    pushed_fields = desired_fields(Scene())
    pushed = field_hashes(pushed_fields)
    del pushed["userRating"]  # never pushed: never counts as a user edit
    current = {
        "title": "Title", "summary": pushed_fields["summary"], "studio": "Blue Fern",
        "originallyAvailableAt": "2020-05-17", "userRating": 3.0,
        "genres": ["Outdoor", "Q&A", "Favourite"], "actors": ["Ava Stone", "Leo Vale"],
        "collections": ["My Picks", "Blue Fern"], "tags_partial": False,
    }
    assert edited_in_plex(current, pushed, our_tags={"collections": ["Blue Fern"]}) == {"genres"}
    current["collections"] = ["My Picks"]
    assert edited_in_plex(current, pushed, our_tags={"collections": ["Blue Fern"]}) == {"genres", "collections"}


def test_edited_in_plex_judges_only_scalars_from_listing_data():
    pushed = field_hashes({"genres": ("A", "B", "C"), "title": "T"})
    listing = {"genres": ["A", "B"], "title": "Changed", "tags_partial": True}
    assert edited_in_plex(listing, pushed) == {"title"}


def test_tags_as_chooses_the_kinds_and_the_dropped_ones_are_taken_back():
    scene = Scene()
    assert "labels" not in desired_fields(scene) and desired_fields(scene)["genres"] == ("Outdoor", "Q&A")
    labels = SyncToggles(tags_as="labels")
    assert desired_fields(scene, labels)["labels"] == ("Outdoor", "Q&A")
    assert "genres" not in desired_fields(scene, labels)
    assert labels.dropped_tag_kinds() == ("genres",)
    both = desired_fields(scene, SyncToggles(tags_as="both"))
    assert both["genres"] == both["labels"] == ("Outdoor", "Q&A")
    assert SyncToggles(tags_as="both").dropped_tag_kinds() == ()
    assert SyncToggles(tags=False, tags_as="labels").dropped_tag_kinds() == ()  # switched off: left alone


def test_actor_photos_one_per_actor_in_order_only_when_chosen():
    assert "actorPhotos" not in desired_fields(Scene())
    fields = desired_fields(Scene(), SyncToggles(actor_photos=True))
    assert fields["actorPhotos"] == ("", "http://stash/performer/2/image?t=9")


def test_labels_edited_in_plex_judged_on_ours_only():
    fields = desired_fields(Scene(), SyncToggles(tags_as="labels"))
    pushed = field_hashes(fields)
    current = {"labels": ["Kids OK", "Outdoor", "Q&A"], "tags_partial": False}
    assert edited_in_plex(current, pushed, {"labels": ["Outdoor", "Q&A"]}) == set()
    current["labels"] = ["Kids OK", "Outdoor"]
    assert edited_in_plex(current, pushed, {"labels": ["Outdoor", "Q&A"]}) == {"labels"}


def test_field_hashes_stay_what_earlier_versions_stored() -> None:
    """Stored hashes decide what is re-sent: a change of form would re-push every scene once after an upgrade.
    These are the values the first release computed (json.dumps per call, sha1, 16 hex digits)."""
    assert field_hash("title", 'Ünïcode "quoted" 🎬') == "54a8830be2138da0"
    assert field_hash("genres", ("A", "Q&A")) == "109f38f464f2eecf"
    assert field_hash("userRating", 8.0) == "b7aa9a48238d9826"
