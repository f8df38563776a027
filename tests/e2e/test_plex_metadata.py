"""Labels and actor photos (issue 13) through both simulators: the plugin spawned as Stash spawns it."""

from __future__ import annotations

import pytest
import requests

from simulators import dataset

pytestmark = pytest.mark.e2e

_SCENES = """{ findScenes(filter: {per_page: -1}) { scenes { id files { path } tags { name }
  performers { id name image_path } } } }"""
_PERFORMER_IMAGE = "mutation P($id: ID!, $image: String) { performerUpdate(input: {id: $id, image: $image}) { id } }"
API_KEY = "stash-api-key-for-photos-1234"


def _in_plex(env) -> list[dict]:
    return [s for s in env.stash.graphql(_SCENES)["findScenes"]["scenes"] if dataset.in_plex(s["id"])]


def test_switching_tags_as_from_both_to_genres_takes_back_exactly_our_labels(make_env):
    """With tags_as=both every tag is a genre and a label; switched to genres, every label this plugin added is
    gone while the user's own label and collection stay, the genres are untouched, and a second Sync All writes
    nothing."""
    env = make_env(scenes=30, reconcile_interval=0, tags_as="both")
    scenes = _in_plex(env)
    mine = next(s for s in scenes if s["tags"])
    mine_key = env.plex.item_for_stash_path(mine["files"][0]["path"]).rating_key
    env.plex.user_edit(mine_key, labels=["Kids OK"], collections=["My Own"])
    assert env.task("Sync All Scenes to Plex").error is None
    for scene in scenes:
        item = env.plex.item_for_stash_path(scene["files"][0]["path"])
        tags = [t["name"] for t in scene["tags"]]
        assert sorted(item.genres) == sorted(tags), scene["id"]
        users = ["Kids OK"] if item.rating_key == mine_key else []
        assert item.labels[:len(users)] == users and sorted(item.labels[len(users):]) == sorted(tags), scene["id"]

    env.configure(tags_as="genres")
    run = env.task("Sync All Scenes to Plex")
    assert run.error is None, run.logs[-5:]
    for scene in scenes:
        item = env.plex.item_for_stash_path(scene["files"][0]["path"])
        assert item.labels == (["Kids OK"] if item.rating_key == mine_key else []), scene["id"]
        assert sorted(item.genres) == sorted(t["name"] for t in scene["tags"]), scene["id"]
    assert "My Own" in env.plex.item(mine_key).collections
    env.plex.reset_counts()
    assert env.task("Sync All Scenes to Plex").error is None
    assert env.plex.counts.get("edit", 0) == 0


def test_actor_photos_reach_plex_as_links_plex_can_fetch(make_env):
    """Stash asks for a login: each actor's photo in Plex is the performer's image link with the API key, which
    answers an image without any other credential; a performer without an image gets none; a new image reaches
    the performer's scenes by its hook; with every option on an unchanged re-sync writes nothing; and the key is
    nowhere the plugin writes (the secret sweep at teardown)."""
    env = make_env(scenes=40, reconcile_interval=0, stash_kwargs={"api_key": API_KEY}, sync_actor_photos=True,
                   tags_as="both", sync_parent_studio=True, content_rating="XXX", preserve_plex_edits=True)
    assert env.task("Sync All Scenes to Plex").error is None
    scenes = _in_plex(env)
    with_photo = without_photo = 0
    for scene in scenes:
        item = env.plex.item_for_stash_path(scene["files"][0]["path"])
        thumbs = {name: thumb for name, _role, thumb in item.actors}
        for performer in scene["performers"]:
            if "default=true" in performer["image_path"]:
                assert thumbs[performer["name"]] is None, scene["id"]
                without_photo += 1
            else:
                assert thumbs[performer["name"]] == f"{performer['image_path']}&apikey={API_KEY}", scene["id"]
                with_photo += 1
    assert with_photo and without_photo
    link = next(t for s in scenes for _n, _r, t in env.plex.item_for_stash_path(s["files"][0]["path"]).actors if t)
    answer = requests.get(link, allow_redirects=False, timeout=10)
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "image/jpeg"

    scene = next(s for s in scenes for p in s["performers"] if "default=true" in p["image_path"])
    performer = next(p for p in scene["performers"] if "default=true" in p["image_path"])
    runs = env.stash.graphql(_PERFORMER_IMAGE, {"id": performer["id"], "image": "data:image/jpeg;base64,/9j/"})
    assert runs["performerUpdate"]["id"] == performer["id"]
    env.wait_drained()
    new_path = next(p["image_path"] for s in _in_plex(env) if s["id"] == scene["id"] for p in s["performers"]
                    if p["id"] == performer["id"])
    item = env.plex.item_for_stash_path(scene["files"][0]["path"])
    assert dict((n, t) for n, _r, t in item.actors)[performer["name"]] == f"{new_path}&apikey={API_KEY}"

    env.plex.reset_counts()
    assert env.task("Sync All Scenes to Plex").error is None
    assert env.plex.counts.get("edit", 0) == 0 and env.plex.counts.get("poster", 0) == 0
