"""plex/ against the Plex simulator: real HTTP on 127.0.0.1, item state read back from the simulator."""

from __future__ import annotations

import dataclasses
import hashlib
import math
from collections import defaultdict

import pytest

from mapping.fields import desired_fields, diff, edited_in_plex, field_hashes
from mapping.matcher import MATCHED, NOT_FOUND, match
from mapping.path_map import infer
from plex.client import connect
from plex.errors import PlexDown, PlexTransient, PlexUnauthorized
from plex.push import build_edit_params, edit, read_item, upload_poster
from plex.sections import find_by_file, iter_section_items, list_sections
from simulators import dataset
from stash.scene import SceneMetadata, normalise_date, to_metadata
from sync_queue import Store
from tests.fakes import metadata

pytestmark = pytest.mark.e2e  # the Plex simulator runs as a server

SCENES = 300
SEED = 11
SECTION = 1
KEY_BASE = 10000


@pytest.fixture(scope="module")
def library():
    return dataset.generate(SEED, SCENES)


@pytest.fixture
def sim(make_plex_sim):
    return make_plex_sim(scenes=SCENES, seed=SEED, token="sim-token-secret")


@pytest.fixture
def plex(sim):
    server = connect(sim.url, sim.token, 2.0, 5.0, "stash2plex-wire-test").wire
    sim.reset_counts()
    return server


def scene_of(library, scene_id: int, **changes) -> SceneMetadata:
    raw = library.scenes[str(scene_id)]
    scene = metadata(
        title=raw["title"], details=raw["details"],
        studio=library.studios[raw["studio_id"]]["name"] if raw["studio_id"] else None,
        performers=tuple(library.performers[p]["name"] for p in raw["performer_ids"]),
        tags=tuple(library.tags[t]["name"] for t in raw["tag_ids"]),
        date=normalise_date(raw["date"]), rating100=raw["rating100"],
    )
    return dataclasses.replace(scene, **changes)


def sync(plex, scene: SceneMetadata, rk: int, last_hashes=None, previous_collections=()):
    """What the worker does for one item: desired state, diff, read the item only for collections, one PUT."""
    fields = desired_fields(scene)
    hashes = field_hashes(fields)
    changed = diff(hashes, last_hashes)
    current = read_item(plex, rk) if "collections" in changed else None
    params = build_edit_params(fields, changed, current, {"collections": list(previous_collections)})
    if params:
        edit(plex, rk, SECTION, params)
    return hashes, bool(params)


def rich_scene_id(library) -> int:
    return next(int(s["id"]) for s in library.scenes.values() if dataset.in_plex(s["id"]) and s["title"]
                and s["studio_id"] and len(s["performer_ids"]) >= 2 and len(s["tag_ids"]) >= 3 and s["details"]
                and s["rating100"] and s["date"])


def test_index_equals_simulator_items_in_few_pages(sim, plex):
    sections, unknown = list_sections(plex, ["Stash Scenes", "Missing Library"])
    assert [s.key for s in sections] == [SECTION] and unknown == ["Missing Library"]
    sim.reset_counts()
    records = list(iter_section_items(plex, sections[0], page_size=100))
    expected = {rk: sim.item(rk) for rk in sim.library.items if sim.item(rk).section_id == SECTION}
    assert {r.rating_key for r in records} == set(expected)
    for record in records:
        assert [p for p, _ in record.parts] == expected[record.rating_key].files
        assert record.fields["tags_partial"] is True
    assert sim.counts["listing"] == math.ceil(len(expected) / 100)
    assert sim.counts["total"] == sim.counts["listing"]


def test_every_field_pushed_exactly_and_locked_in_one_put(library, sim, plex):
    sid = rich_scene_id(library)
    rk = KEY_BASE + sid
    scene = scene_of(library, sid)
    _, sent = sync(plex, scene, rk)
    assert sent
    state = sim.item(rk)
    assert state.title == scene.title and state.summary == scene.details and state.studio == scene.studio
    assert state.originally_available_at == desired_fields(scene)["originallyAvailableAt"]
    assert state.user_rating == scene.rating100 / 10
    assert state.genres == list(scene.tags)
    assert [a[0] for a in state.actors] == list(scene.performers)
    assert state.collections == [scene.studio]
    assert {"title", "summary", "studio", "originallyAvailableAt", "userRating", "genre", "actor",
            "collection"} <= state.locked
    assert sim.counts["edit"] == 1 and sim.counts["item"] == 1 and sim.counts["total"] == 2


def test_changes_are_exact_and_users_collection_survives(library, sim, plex):
    sid = rich_scene_id(library)
    rk = KEY_BASE + sid
    scene = scene_of(library, sid)
    hashes, _ = sync(plex, scene, rk)
    sim.user_edit(rk, collections=[scene.studio, "My Picks"])
    changed = scene_of(library, sid, tags=scene.tags[1:], performers=scene.performers + ("New Person",),
                       studio="Other Studio & Co")
    sim.reset_counts()
    sync(plex, changed, rk, hashes, previous_collections=[scene.studio])
    state = sim.item(rk)
    assert state.genres == list(scene.tags[1:])
    assert [a[0] for a in state.actors] == list(scene.performers) + ["New Person"]
    assert state.studio == "Other Studio & Co"
    assert sorted(state.collections) == ["My Picks", "Other Studio & Co"]
    assert sim.counts["edit"] == 1


def test_empty_stash_values_clear_plex_but_not_title(library, sim, plex):
    sid = rich_scene_id(library)
    rk = KEY_BASE + sid
    scene = scene_of(library, sid)
    hashes, _ = sync(plex, scene, rk)
    sim.user_edit(rk, collections=[scene.studio, "Keep Me"])
    empty = metadata()
    sync(plex, empty, rk, hashes, previous_collections=[scene.studio])
    state = sim.item(rk)
    assert state.title == scene.title
    assert not state.summary and not state.studio and not state.originally_available_at
    assert state.user_rating is None
    assert state.genres == [] and state.actors == [] and state.collections == ["Keep Me"]


def test_unchanged_scene_sends_nothing(library, sim, plex):
    sid = rich_scene_id(library)
    rk = KEY_BASE + sid
    hashes, _ = sync(plex, scene_of(library, sid), rk)
    assert sim.write_count(rk) == 1
    sim.reset_counts()
    _, sent = sync(plex, scene_of(library, sid), rk, hashes)
    assert sent is False
    assert sim.write_count(rk) == 0 and sim.counts["total"] == 0


def test_poster_upload_is_one_post_of_the_bytes(library, sim, plex):
    rk = KEY_BASE + rich_scene_id(library)
    image = b"\xff\xd8\xff\xe0" + b"cover" * 100
    upload_poster(plex, rk, image)
    assert sim.item(rk).poster_uploads == 1 and sim.item(rk).poster_sha1 == hashlib.sha1(image).hexdigest()
    upload_poster(plex, rk, image + b"x")
    assert sim.item(rk).poster_uploads == 2 and sim.counts["poster"] == 2


def test_preserve_plex_edits_detects_user_changes(library, sim, plex):
    sid = rich_scene_id(library)
    rk = KEY_BASE + sid
    scene = scene_of(library, sid)
    hashes, _ = sync(plex, scene, rk)
    assert edited_in_plex(read_item(plex, rk), hashes, {"collections": [scene.studio]}) == set()
    sim.user_edit(rk, title="My Own Title", remove_genre=scene.tags[0])
    assert edited_in_plex(read_item(plex, rk), hashes, {"collections": [scene.studio]}) == {"title", "genres"}


def test_file_lookup_finds_a_just_scanned_item(library, sim, plex):
    missing = next(s for s in library.scenes.values() if not dataset.in_plex(s["id"]))
    path = dataset.plex_path(missing["files"][0]["path"])
    assert find_by_file(plex, SECTION, path) == []
    rk = sim.add_scene(missing["id"])
    sim.refresh(SECTION)
    sim.reset_counts()
    found = find_by_file(plex, SECTION, path)
    assert [(p.rating_key, p.path) for p in found] == [(rk, path)]
    assert sim.counts["lookup"] == 1 and sim.counts["listing"] == 0


def test_match_whole_library_through_inferred_path_map(library, sim, plex, tmp_path):
    sections, _ = list_sections(plex, ["Stash Scenes"])
    store = Store(tmp_path / "index.sqlite3")
    store.index.replace_section(sections[0].key, iter_section_items(plex, sections[0]))
    lookup = store.index
    stash_paths = [f["path"] for s in library.scenes.values() for f in s["files"]]
    path_map, _ = infer(stash_paths, store.index.paths_sample(100_000))
    assert path_map is not None
    outcome = defaultdict(int)
    for scene in library.scenes.values():
        files = to_metadata({"id": scene["id"], "files": scene["files"]}).files
        result = match(files, lookup, path_map, strict=True, library_roots=sections[0].locations)
        outcome[result.status] += 1
        if dataset.in_plex(scene["id"]):
            assert result.status == MATCHED and result.rating_keys == (KEY_BASE + int(scene["id"]),)
        else:
            # Absent from a library folder: never matched to a same-name copy (twins share name and size).
            assert result.status == NOT_FOUND and result.rating_keys == ()
    assert outcome[MATCHED] == sum(dataset.in_plex(s) for s in library.scenes)
    store.close()


def test_read_timeout_applied_to_slow_body(sim):
    plex = connect(sim.url, sim.token, 2.0, 0.2, "stash2plex-wire-test").wire
    sim.faults.slow_body_s = 1.6  # each of the simulator's 4 pauses (0.4 s) outlasts the 0.2 s read timeout
    with pytest.raises(PlexTransient, match="too slow"):
        read_item(plex, KEY_BASE + 1)


def test_unauthorized_refused_and_unavailable(sim, plex):
    sim.faults.unauthorized = True
    with pytest.raises(PlexUnauthorized) as err:
        read_item(plex, KEY_BASE + 1)
    assert sim.token not in str(err.value)
    sim.faults.unauthorized = False
    sim.faults.set_error_window(count=1, status=503)
    with pytest.raises(PlexDown):
        read_item(plex, KEY_BASE + 1)
    sim.faults.refuse_connections()
    with pytest.raises(PlexDown):
        read_item(plex, KEY_BASE + 1)
    sim.faults.accept_connections()
    assert read_item(plex, KEY_BASE + 1)["parts"]


def test_only_the_owners_token_reads_the_accounts_and_edits(make_plex_sim) -> None:
    """Health Check's owner test: `/accounts` answers the owner and refuses a shared user's token (403), whose
    reads work and whose edits PMS refuses."""
    sim = make_plex_sim(scenes=20, seed=SEED, token="owner-token-1", shared_token="friend-token-2")
    owner = connect(sim.url, "owner-token-1", 2.0, 5.0, "test-client")
    friend = connect(sim.url, "friend-token-2", 2.0, 5.0, "test-client")
    try:
        assert owner.token_owns_server() is True
        assert friend.token_owns_server() is False
        sections, _ = friend.sections(())
        key = next(iter(friend.section_items(sections[0]))).rating_key
        with pytest.raises(PlexUnauthorized):
            friend.edit(key, sections[0].key, {"title.value": "x", "title.locked": "1"})
        owner.edit(key, sections[0].key, {"title.value": "x", "title.locked": "1"})
        assert sim.item(key).title == "x"
    finally:
        owner.close()
        friend.close()
