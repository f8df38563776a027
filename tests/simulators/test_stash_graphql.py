"""GraphQL behaviour of the Stash simulator over real HTTP: validation errors, paging, sorting, filters."""

from __future__ import annotations

import pytest
import requests

pytestmark = pytest.mark.e2e  # the Stash simulator runs as a server


def post(sim, query, variables=None, **kwargs):
    return requests.post(f"{sim.url}/graphql", json={"query": query, "variables": variables or {}}, timeout=10,
                         **kwargs)


def ids_of(response):
    return [s["id"] for s in response.json()["data"]["findScenes"]["scenes"]]


def test_misspelled_field_is_refused_with_a_graphql_validation_error(stash_sim):
    r = post(stash_sim, "{ findScenes { scenes { id titel } } }")
    assert r.status_code == 422
    body = r.json()
    assert body["data"] is None
    assert "Cannot query field 'titel' on type 'Scene'" in body["errors"][0]["message"]
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


def test_fields_removed_in_v024_are_refused(stash_sim):
    r = post(stash_sim, "{ findScene(id: 1) { id path } }")
    assert r.status_code == 422
    assert "Cannot query field 'path' on type 'Scene'" in r.json()["errors"][0]["message"]


def test_syntax_error_and_bad_variables_are_422(stash_sim):
    assert post(stash_sim, "{ findScenes { ").status_code == 422
    r = post(stash_sim, "query($f: FindFilterType) { findScenes(filter: $f) { count } }", {"f": {"page": "x"}})
    assert r.status_code == 422


def test_default_page_is_25_and_count_is_the_total(stash_sim):
    r = post(stash_sim, "{ findScenes { count scenes { id } } }")
    assert r.status_code == 200
    assert r.json()["data"]["findScenes"]["count"] == 50
    assert len(ids_of(r)) == 25


def test_totals_sum_the_first_file_of_every_match_not_only_the_page(stash_sim):
    r = post(stash_sim, '{ findScenes(scene_filter: {id: {value: 10, modifier: GREATER_THAN}}, filter: {per_page: 2})'
                        ' { count duration filesize } }')
    matched = [s for s in stash_sim.store.scenes() if int(s["id"]) > 10 and s["files"]]
    assert r.json()["data"]["findScenes"] == {"count": 40, "duration": sum(s["files"][0]["duration"] for s in matched),
                                              "filesize": float(sum(s["files"][0]["size"] for s in matched))}


def test_pages_are_one_based_and_negative_per_page_means_all(stash_sim):
    q = "query($f: FindFilterType) { findScenes(filter: $f) { count scenes { id } } }"
    page0 = ids_of(post(stash_sim, q, {"f": {"page": 0, "per_page": 10, "sort": "id"}}))
    page1 = ids_of(post(stash_sim, q, {"f": {"page": 1, "per_page": 10, "sort": "id"}}))
    page2 = ids_of(post(stash_sim, q, {"f": {"page": 2, "per_page": 10, "sort": "id"}}))
    assert page0 == page1 == [str(i) for i in range(1, 11)]
    assert page2 == [str(i) for i in range(11, 21)]
    assert len(ids_of(post(stash_sim, q, {"f": {"per_page": -1}}))) == 50
    assert ids_of(post(stash_sim, q, {"f": {"page": 6, "per_page": 10}})) == []


def test_sort_with_direction(stash_sim):
    q = "query($f: FindFilterType) { findScenes(filter: $f) { scenes { id title updated_at } } }"
    desc = post(stash_sim, q, {"f": {"per_page": -1, "sort": "id", "direction": "DESC"}})
    assert ids_of(desc) == [str(i) for i in range(50, 0, -1)]
    by_updated = post(stash_sim, q, {"f": {"per_page": -1, "sort": "updated_at", "direction": "ASC"}})
    stamps = [s["updated_at"] for s in by_updated.json()["data"]["findScenes"]["scenes"]]
    assert stamps == sorted(stamps)
    by_title = post(stash_sim, q, {"f": {"per_page": -1, "sort": "title"}})
    titles = [s["title"].lower() for s in by_title.json()["data"]["findScenes"]["scenes"]]
    assert titles == sorted(titles)


def test_ids_and_deprecated_scene_ids(stash_sim):
    r = post(stash_sim, "{ findScenes(ids: [\"3\", \"7\"]) { count scenes { id } } }")
    assert sorted(ids_of(r)) == ["3", "7"]
    # As real Stash: one missing id fails the whole query.
    r = post(stash_sim, "{ findScenes(ids: [\"3\", \"999\"]) { count scenes { id } } }")
    body = r.json()
    assert body["data"] is None and "scene with id 999 not found" in body["errors"][0]["message"]
    r = post(stash_sim, "{ findScenes(scene_ids: [4]) { count scenes { id } } }")
    assert ids_of(r) == ["4"]


def test_updated_at_filter_finds_exactly_the_scenes_edited_after_a_cutoff(stash_sim):
    q = """query($sf: SceneFilterType) {
      findScenes(scene_filter: $sf, filter: {per_page: -1}) { count scenes { id updated_at } } }"""
    latest = max(s["updated_at"] for s in stash_sim.store.scenes())
    stash_sim.update_scene(5, title="edited five")
    stash_sim.update_scene(9, details="edited nine")
    r = post(stash_sim, q, {"sf": {"updated_at": {"value": latest, "modifier": "GREATER_THAN"}}})
    assert sorted(ids_of(r)) == ["5", "9"]
    first = min(s["updated_at"] for s in stash_sim.store.scenes())
    r = post(stash_sim, q, {"sf": {"updated_at": {"value": first, "modifier": "LESS_THAN"}}})
    assert r.json()["data"]["findScenes"]["count"] == 0
    oldest = min(s["created_at"] for s in stash_sim.store.scenes())
    r = post(stash_sim, q, {"sf": {"created_at": {"value": oldest, "value2": latest, "modifier": "BETWEEN"}}})
    assert r.json()["data"]["findScenes"]["count"] == 50


def test_scene_update_bumps_updated_at_strictly(stash_sim):
    q = "mutation($i: SceneUpdateInput!) { sceneUpdate(input: $i) { id title updated_at } }"
    stamps = []
    for n in range(3):
        r = post(stash_sim, q, {"i": {"id": "2", "title": f"t{n}"}})
        assert r.status_code == 200
        stamps.append(r.json()["data"]["sceneUpdate"]["updated_at"])
    assert stamps == sorted(set(stamps))
    assert stamps[0][-6:] in ("+02:00",)  # RFC3339 with the library's offset, never "Z"


def test_scene_groups_prefer_groups_over_movies_and_refuse_unknown_ids(stash_sim):
    """As resolver_mutation_scene.go:228-236: with both sent, `groups` is applied; an unknown group fails."""
    one, two = (stash_sim.store.create_group(name)["id"] for name in ("One", "Two"))
    q = ("mutation($i: SceneUpdateInput!) "
         "{ sceneUpdate(input: $i) { groups { group { name } } movies { movie { name } } } }")
    r = post(stash_sim, q, {"i": {"id": "2", "groups": [{"group_id": one}], "movies": [{"movie_id": two}]}})
    scene = r.json()["data"]["sceneUpdate"]
    assert scene == {"groups": [{"group": {"name": "One"}}], "movies": [{"movie": {"name": "One"}}]}
    r = post(stash_sim, q, {"i": {"id": "2", "movies": [{"movie_id": "99"}]}})
    assert "group with id 99 not found" in r.json()["errors"][0]["message"]


def test_tag_and_performer_filters(stash_sim):
    tag_id = stash_sim.store.scene(1)["tag_ids"][0]
    r = post(stash_sim, "query($t: [ID!]) { findScenes(scene_filter: {tags: {value: $t, modifier: INCLUDES}}, "
                        "filter: {per_page: -1}) { count scenes { id } } }", {"t": [tag_id]})
    expected = [s["id"] for s in stash_sim.store.scenes() if tag_id in s["tag_ids"]]
    assert ids_of(r) == expected and "1" in expected


def test_resolver_errors_are_200_with_errors(stash_sim):
    r = post(stash_sim, "mutation { sceneUpdate(input: {id: \"1\", date: \"yesterday\"}) { id } }")
    assert r.status_code == 200
    body = r.json()
    assert body["data"] == {"sceneUpdate": None}
    assert "invalid date" in body["errors"][0]["message"]


def test_configuration_plugins_leaves_unset_plugins_absent(stash_sim):
    stash_sim.configure_plugin("Stash2Plex", {"plex_url": "http://x", "enabled": True})
    r = post(stash_sim, '{ configuration { plugins(include: ["Stash2Plex", "Other"]) general { apiKey } } }')
    data = r.json()["data"]["configuration"]
    assert data["plugins"] == {"Stash2Plex": {"plex_url": "http://x", "enabled": True}}
    assert data["general"]["apiKey"] == ""
    stash_sim.configure_plugin("Stash2Plex", {"enabled": False})
    r = post(stash_sim, '{ configuration { plugins(include: ["Stash2Plex"]) } }')
    assert r.json()["data"]["configuration"]["plugins"] == {"Stash2Plex": {"enabled": False}}


def test_scene_fields_shape(stash_sim):
    r = post(stash_sim, """{ findScene(id: "10") { id url urls files { id path basename size duration width height }
      paths { screenshot } studio { id name parent_studio { id name } } performers { id name disambiguation gender }
      tags { id name } groups { group { id name } scene_index } movies { movie { id name } scene_index }
      created_at updated_at organized rating100 date code details director } version { version hash build_time }
      jobQueue { id } }""")
    assert r.status_code == 200, r.text
    scene = r.json()["data"]["findScene"]
    assert len(scene["files"]) == 2  # every 10th generated scene has two files
    assert isinstance(scene["files"][0]["size"], int)
    assert scene["paths"]["screenshot"].startswith(f"{stash_sim.url}/scene/10/screenshot?t=")
    assert scene["groups"] == [] and scene["movies"] == []
    assert r.json()["data"]["findScene"]["code"] is not None
    assert post(stash_sim, '{ findScene(id: "9999") { id } }').json()["data"]["findScene"] is None


def test_request_counts_by_operation_name(stash_sim):
    post(stash_sim, "query FindThem { findScenes { count } }")
    post(stash_sim, "query FindThem { findScenes { count } }")
    post(stash_sim, "{ version { version } }")
    counts = stash_sim.request_counts
    assert counts["FindThem"] == 2 and counts["version"] == 1


_PLAY = """mutation P($id: ID!, $times: [Timestamp!]) { sceneAddPlay(id: $id, times: $times) { count history } }"""
_PLAYED = """query Q($f: SceneFilterType) { findScenes(scene_filter: $f, filter: {per_page: -1, sort: "id"}) {
  scenes { id play_count play_history last_played_at resume_time updated_at } } }"""


def test_play_activity_as_stash_keeps_it_no_hook_no_updated_at(make_stash_sim, tmp_path):
    """sceneAddPlay adds a play per time (one now without), sceneDeletePlay removes exact ones, sceneSaveActivity sets
    the resume point, sceneResetPlayCount clears plays; none moves updated_at or runs a hook; play_count and
    resume_time filter, and OR joins a sub-filter to the scene's own criteria."""
    from tests.simulators.test_stash_plugins import make_plugin

    sim = make_stash_sim(scenes=10, plugins_dir=make_plugin(tmp_path), env={"ECHO_OUT": str(tmp_path / "o.jsonl")})
    before = {s["id"]: s for s in sim.graphql(_PLAYED)["findScenes"]["scenes"]}
    assert (before["3"]["play_count"], before["3"]["play_history"], before["3"]["last_played_at"]) == (0, [], None)
    added = sim.graphql(_PLAY, {"id": "3", "times": ["2026-01-02T10:00:00Z", "2026-01-01T10:00:00Z"]})
    assert added["sceneAddPlay"]["count"] == 2
    assert sim.graphql(_PLAY, {"id": "3"})["sceneAddPlay"]["count"] == 3  # no times: one play now
    sim.graphql("mutation { sceneSaveActivity(id: 5, resume_time: 42.5) }")
    deleted = sim.graphql("mutation { sceneDeletePlay(id: 3, times: [\"2026-01-01T10:00:00Z\"]) { count } }")
    assert deleted["sceneDeletePlay"]["count"] == 2
    filtered = sim.graphql(_PLAYED, {"f": {"play_count": {"value": 0, "modifier": "GREATER_THAN"},
                                           "OR": {"resume_time": {"value": 0, "modifier": "GREATER_THAN"}}}})
    scenes = {s["id"]: s for s in filtered["findScenes"]["scenes"]}
    assert sorted(scenes) == ["3", "5"]
    assert scenes["3"]["play_count"] == 2 and scenes["3"]["last_played_at"] == scenes["3"]["play_history"][0]
    assert scenes["3"]["play_history"][1].startswith("2026-01-02")
    assert scenes["5"]["resume_time"] == 42.5 and scenes["5"]["play_count"] == 0
    assert all(scenes[i]["updated_at"] == before[i]["updated_at"] for i in scenes)
    assert sim.graphql("mutation { sceneResetPlayCount(id: 3) }")["sceneResetPlayCount"] == 0
    assert sim.runs == []  # the echo plugin hooks every scene update: none ran
    sim.update_scene(4, title="x")
    assert [r.name for r in sim.runs] == ["Scene.Update.Post"]  # negative control: a real edit does run it
