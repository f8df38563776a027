"""Behaviours of the real Stash and Plex that the simulators now show (issue 9), end to end."""

from __future__ import annotations

import time

import pytest

from simulators import dataset
from tests.waiting import wait_for

pytestmark = pytest.mark.e2e  # the plugin spawned as Stash spawns it, against both simulators


def test_saves_do_not_wait_while_the_index_is_read_from_a_slow_plex(make_env):
    """A 20,000-item library listed at 0.25 ms per item (5 s, as a real PMS's 1,000-item pages take seconds):
    while the drainer reads it, Saves (hooks, which write the database) stay under a second. Reading the
    listing inside the write transaction, as before, held every Save for the whole read."""
    env = make_env(scenes=20_000, plex_kwargs={"listing_item_ms": 0.25})
    in_plex = [i for i in range(1, 200) if dataset.in_plex(str(i))]
    assert [r.error for r in env.stash.update_scene(in_plex[0], title="First save")] == [None]  # spawns a drainer
    wait_for(lambda: env.plex.counts.get("listing", 0) >= 1, 60, "the drainer reading the listing")
    walls = []
    for scene_id in in_plex[1:6]:
        started = time.monotonic()
        runs = env.stash.update_scene(scene_id, title=f"Saved while indexing {scene_id}")
        walls.append(time.monotonic() - started)
        assert [r.error for r in runs] == [None]
    assert "Indexed Plex library" not in env.drainer_log(), "the listing ended before the Saves: nothing shown"
    assert max(walls) < 1.0, walls
    env.wait_drained(timeout=120)
    for scene_id in in_plex[:6]:
        env.assert_in_step(scene_id)


def test_a_summary_too_long_for_the_request_line_is_cut_and_the_limit_remembered(make_env):
    """Behind a proxy that refuses request lines over 8 KB (414): the refused edit is sent again with the summary
    cut at a character boundary (still one PUT with every field), later summaries fit at once, nothing is
    dead-lettered and a re-sync writes nothing."""
    env = make_env(scenes=30, plex_kwargs={"max_request_line": 8192})
    first, second = [i for i in range(1, 31) if dataset.in_plex(str(i))][:2]
    details = "Ein längerer Text — 長い説明 🎬 " * 700  # 20,000+ characters, 100+ KB encoded
    refusals = lambda: sum(1 for r in env.plex.log if r.status == 414)  # noqa: E731
    runs = env.stash.update_scene(first, title="Long one", details=details)
    assert [r.error for r in runs] == [None]
    env.wait_drained()
    item = env.plex_item_for_scene(first)
    assert item.title == "Long one" and 0 < len(item.summary) < len(details) and details.startswith(item.summary)
    assert refusals() >= 1
    seen = refusals()
    env.stash.update_scene(second, details=details[::-1])
    env.wait_drained()
    assert refusals() == seen, "the limit learned from the first summary was not used"
    assert details[::-1].startswith(env.plex_item_for_scene(second).summary)
    with env.db() as conn:
        assert conn.execute("SELECT COUNT(*) FROM dead_letters").fetchone()[0] == 0
    assert env.task("Sync All Scenes to Plex").error is None  # the other scenes
    env.plex.reset_counts()
    assert env.task("Sync All Scenes to Plex").error is None
    assert env.plex.counts.get("edit", 0) == 0


_LINKS = "query($id: ID) { findScene(id: $id) { tags { id name } performers { id name } } }"


def test_merges_and_deletions_reach_plex_without_a_scene_hook(make_env):
    """Stash fires no scene hook and moves no updated_at when tags merge or an entity is deleted: the plugin
    subscribes to Tag.Merge.Post and the Destroy hooks, and the Plex items follow."""
    env = make_env(scenes=30, reconcile_interval=0)
    assert env.task("Sync All Scenes to Plex").error is None
    scenes = [i for i in range(1, 31) if dataset.in_plex(str(i))]
    tagged = next(i for i in scenes if env.stash.graphql(_LINKS, {"id": str(i)})["findScene"]["tags"])
    source = env.stash.graphql(_LINKS, {"id": str(tagged)})["findScene"]["tags"][0]
    destination = next(t for i in scenes for t in env.stash.graphql(_LINKS, {"id": str(i)})["findScene"]["tags"]
                       if t["name"] != source["name"])
    env.stash.graphql("mutation($i: TagsMergeInput!) { tagsMerge(input: $i) { id } }",
                      {"i": {"source": [source["id"]], "destination": destination["id"]}})
    env.wait_drained()
    genres = env.plex_item_for_scene(tagged).genres
    assert destination["name"] in genres and source["name"] not in genres
    env.assert_in_step(tagged)

    with_performer = next(i for i in scenes if env.stash.graphql(_LINKS, {"id": str(i)})["findScene"]["performers"])
    performer = env.stash.graphql(_LINKS, {"id": str(with_performer)})["findScene"]["performers"][0]
    env.stash.graphql("mutation($i: PerformerDestroyInput!) { performerDestroy(input: $i) }",
                      {"i": {"id": performer["id"]}})
    env.wait_drained()
    assert performer["name"] not in [a[0] for a in env.plex_item_for_scene(with_performer).actors]
    env.assert_in_step(with_performer)
    assert "Reconcile (all)" in env.drainer_log()


def test_a_plex_item_rescanned_under_a_new_key_is_found_again(make_env):
    env = make_env(scenes=20, reconcile_interval=0)
    assert env.task("Sync All Scenes to Plex").error is None
    scene_id = next(i for i in range(1, 21) if dataset.in_plex(str(i)))
    old = env.plex_item_for_scene(scene_id).rating_key
    new = env.plex.rekey(old)  # PMS forgot the item and scanned the file again: a new ratingKey, nothing synced
    assert env.task("Reconcile Library (All)").error is None
    assert env.plex.item(new).title == env.scene(scene_id)["title"]
    env.assert_in_step(scene_id)


def test_a_stash_served_over_tls_with_a_certificate_for_another_name(make_env):
    """Stash hands plugins its bind address with Scheme "https"; the certificate (self-signed, for the server's
    public name) cannot name it. Tasks, hooks and the detached drainer still reach Stash."""
    env = make_env(scenes=20, stash_kwargs={"tls": True})
    assert env.stash.url.startswith("https://")
    run = env.task("Sync All Scenes to Plex")
    assert run.error is None, run.logs
    scene_id = next(i for i in range(1, 21) if dataset.in_plex(str(i)))
    env.stash.update_scene(scene_id, title="Saved over TLS")
    env.wait_drained()
    env.assert_in_step(scene_id)
    assert "InsecureRequestWarning" not in env.drainer_log() + "".join(m for r in env.stash.runs for _, m in r.logs)


def test_a_drain_longer_than_the_session_keeps_its_stash_session(make_env):
    """Stash (password, no API key) re-issues the session cookie on every answer and each value expires
    max_session_age after it was issued: a drain outliving the first cookie goes on with the re-issued ones."""
    env = make_env(scenes=60, stash_kwargs={"username": "admin", "password": "secret-pass", "max_session_age": 1.5},
                   plex_kwargs={"latency_ms": 40}, plex_parallelism=1, batch_size=5)
    run = env.task("Sync All Scenes to Plex", timeout=300)
    assert run.error is None, run.logs[-5:]
    assert run.wall_time > 3, "the drain did not outlive the first session cookie: nothing shown"
    for scene_id in (i for i in range(1, 61) if dataset.in_plex(str(i))):
        env.assert_in_step(scene_id)


_SCOPE = """query { findScenes(filter: {per_page: -1}) { scenes { id organized director files { path }
  tags { name } studio { name parent_studio { name } } } } }"""


def test_richer_fields_and_a_scope_through_the_simulators(make_env):
    """Director, content rating and the parent studio reach Plex (the user's own collection kept); scenes out of
    scope (not organized, or tagged to skip) have Plex items that receive no request at all; an unchanged re-sync
    with every option on writes nothing."""
    env = make_env(scenes=60, reconcile_interval=0, sync_parent_studio=True, content_rating="XXX",
                   only_organized=True, skip_tags="Beach")
    scenes = env.stash.graphql(_SCOPE)["findScenes"]["scenes"]
    out = [s for s in scenes if not s["organized"] or any(t["name"] == "Beach" for t in s["tags"])]
    kept = [s for s in scenes if s not in out and dataset.in_plex(s["id"])]
    assert out and kept
    mine = env.plex.item_for_stash_path(kept[0]["files"][0]["path"]).rating_key
    env.plex.user_edit(mine, collections=["My Own"])
    run = env.task("Sync All Scenes to Plex")
    assert run.error is None and "out of scope (" in run.output, run.output
    read = {r.path.split("/library/metadata/")[1].split("/")[0].split("?")[0] for r in env.plex.log
            if "/library/metadata/" in r.path}
    for scene in out:
        item = env.plex.item_for_stash_path(scene["files"][0]["path"])
        if item is not None:
            assert env.plex.edit_count(item.rating_key) == 0 and item.poster_uploads == 0, scene["id"]
            assert str(item.rating_key) not in read, scene["id"]
    for scene in kept:
        item = env.plex.item_for_stash_path(scene["files"][0]["path"])
        assert item.content_rating == "XXX" and item.directors == ([scene["director"]] if scene["director"] else [])
        studio = scene["studio"] or {}
        expected = [studio.get("name"), (studio.get("parent_studio") or {}).get("name")]
        assert [c for c in item.collections if c != "My Own"] == [c for c in expected if c]
    assert "My Own" in env.plex.item(mine).collections
    env.plex.reset_counts()
    assert env.task("Sync All Scenes to Plex").error is None
    assert env.plex.counts.get("edit", 0) == 0 and env.plex.counts.get("poster", 0) == 0


_GROUP_CREATE = "mutation T($n: String!) { groupCreate(input: {name: $n}) { id } }"
_GROUP_UPDATE = "mutation T($id: ID!, $n: String) { groupUpdate(input: {id: $id, name: $n}) { id } }"


def test_groups_become_collections_and_leaving_one_leaves_it(make_env):
    """Each group (movie) a scene belongs to is a Plex collection beside the studio's; a scene taken out of a
    group leaves that collection, a renamed group is renamed on the scene's item, the user's own collection stays,
    and an unchanged re-sync writes nothing."""
    env = make_env(scenes=20, reconcile_interval=0)
    assert env.task("Sync All Scenes to Plex").error is None
    first, second = (env.stash.graphql(_GROUP_CREATE, {"n": name})["groupCreate"]["id"]
                     for name in ("Saga One", "Saga Two"))
    scene_id = next(i for i in range(1, 21) if dataset.in_plex(str(i)))
    item = env.plex_item_for_scene(scene_id)
    env.plex.user_edit(item.rating_key, collections=["My Own"])
    studio = (env.scene(scene_id)["studio"] or {}).get("name")

    def ours() -> list:
        return [c for c in env.plex.item(item.rating_key).collections if c != "My Own"]

    runs = env.stash.update_scene(scene_id, groups=[{"group_id": first}, {"group_id": second, "scene_index": 2}])
    assert [r.error for r in runs] == [None]
    env.wait_drained()
    assert ours() == [c for c in (studio, "Saga One", "Saga Two") if c]
    env.stash.update_scene(scene_id, groups=[{"group_id": second}])
    env.wait_drained()
    assert ours() == [c for c in (studio, "Saga Two") if c]
    assert "My Own" in env.plex.item(item.rating_key).collections
    env.stash.graphql(_GROUP_UPDATE, {"id": second, "n": "Saga 2"})  # fires Group.Update.Post and Movie.Update.Post
    env.wait_drained()
    assert ours() == [c for c in (studio, "Saga 2") if c]
    env.plex.reset_counts()
    assert env.task("Sync All Scenes to Plex").error is None
    assert env.plex.counts.get("edit", 0) == 0
