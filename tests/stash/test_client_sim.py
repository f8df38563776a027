"""StashClient against the Stash simulator (real GraphQL over HTTP on 127.0.0.1, built from simulators/dataset.py)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest

from plugin.io import StashServer
from stash.client import StashClient
from stash.errors import StashAuthError, StashUnavailable
from stash.scene import to_metadata

pytestmark = pytest.mark.e2e  # the Stash simulator runs as a server

API_KEY = "sim-api-key-0123456789"


def _client(sim, cookie=None, api_key=None) -> StashClient:
    return StashClient(StashServer("http", "127.0.0.1", sim.port, session_cookie=cookie, api_key=api_key), timeout=10)


def test_paging_covers_every_scene_exactly_once(make_stash_sim) -> None:
    sim = make_stash_sim(scenes=130)
    pages = list(_client(sim).scene_pages(per_page=25))
    seen = Counter(int(s["id"]) for p in pages for s in p.scenes)
    assert sorted(seen) == list(range(1, 131))
    assert set(seen.values()) == {1}
    assert [p.page for p in pages] == [1, 2, 3, 4, 5, 6]
    assert {p.count for p in pages} == {130}
    assert sim.request_counts["FindScenesPage"] == 6


def test_ids_query_returns_more_than_a_default_page(stash_sim) -> None:
    scenes = _client(stash_sim).scenes_by_ids(list(range(1, 41)) + [9999])
    assert sorted(int(s["id"]) for s in scenes) == list(range(1, 41))
    stored = stash_sim.store.scene("7")
    meta = to_metadata(next(s for s in scenes if s["id"] == "7"))
    assert meta.title == stored["title"]
    assert meta.files[0].path == stored["files"][0]["path"]
    assert meta.updated_at == stored["updated_at"]
    assert len(meta.performers) == len(stored["performer_ids"])


def test_recent_filter_returns_only_scenes_changed_since(stash_sim) -> None:
    since = datetime.now(timezone.utc) - timedelta(minutes=5)
    stash_sim.update_scene(12, title="Renamed twelve")
    stash_sim.update_scene(33, details="New details")
    pages = list(_client(stash_sim).scene_pages(per_page=10, updated_since=since))
    assert sorted(int(s["id"]) for p in pages for s in p.scenes) == [12, 33]
    assert next(s for p in pages for s in p.scenes if s["id"] == "12")["title"] == "Renamed twelve"


def test_scene_ids_for_performer_tag_and_studio(stash_sim) -> None:
    client = _client(stash_sim)
    scenes = stash_sim.store.scenes()
    for kind, key in (("performer", "performer_ids"), ("tag", "tag_ids")):
        entity = next(s[key][0] for s in scenes if s[key])
        expected = sorted(int(s["id"]) for s in scenes if entity in s[key])
        assert list(client.scene_ids_for(kind, int(entity), per_page=3)) == expected
    studio = next(s["studio_id"] for s in scenes if s["studio_id"])
    expected = sorted(int(s["id"]) for s in scenes if s["studio_id"] == studio
                      or (s["studio_id"] and stash_sim.store.studio(s["studio_id"])["parent_id"] == studio))
    assert list(client.scene_ids_for("studio", int(studio))) == expected


def test_plugin_settings_roundtrip_and_absent(stash_sim) -> None:
    client = _client(stash_sim)
    assert client.plugin_settings("Stash2Plex") == {}
    stash_sim.configure_plugin("Stash2Plex", {"plex_url": "http://plex:32400", "max_retries": 3})
    assert client.plugin_settings("Stash2Plex") == {"plex_url": "http://plex:32400", "max_retries": 3}


def test_auth_by_cookie_then_api_key(make_stash_sim) -> None:
    sim = make_stash_sim(scenes=5, api_key=API_KEY)
    client = _client(sim, cookie=sim.session_cookie())
    assert client.plugin_settings("Stash2Plex") == {}
    assert client.scenes_by_ids([1])[0]["id"] == "1"
    assert _client(sim, api_key=API_KEY).query("{ version { version } }") is not None
    with pytest.raises(StashAuthError) as err:
        _client(sim, cookie="forged-session-value").query("{ version { version } }")
    assert "forged-session-value" not in str(err.value)
    with pytest.raises(StashAuthError):
        _client(sim).query("{ version { version } }")


def test_unauthenticated_cover_is_the_login_page_not_an_image(make_stash_sim) -> None:
    sim = make_stash_sim(scenes=5, api_key=API_KEY)
    url = _client(sim, api_key=API_KEY).scenes_by_ids([1])[0]["paths"]["screenshot"]
    assert _client(sim).fetch_cover(url) is None
    assert _client(sim, api_key=API_KEY).fetch_cover(url) is not None


def test_covers_jpeg_versus_svg_placeholder(make_stash_sim) -> None:
    sim = make_stash_sim(scenes=30)
    client = _client(sim)
    scenes = {s["id"]: s for s in client.scenes_by_ids([1, 2, 30])}
    external = scenes["1"]["paths"]["screenshot"].replace(f"127.0.0.1:{sim.port}", "stash.external.example:443")
    first = client.fetch_cover(external)
    assert first is not None and first.content_type == "image/jpeg" and first.data[:2] == b"\xff\xd8"
    second = client.fetch_cover(scenes["2"]["paths"]["screenshot"])
    assert second.sha1 != first.sha1
    assert client.fetch_cover(scenes["30"]["paths"]["screenshot"]) is None  # dataset: every 30th has no cover
    sim.set_cover(30)
    assert client.fetch_cover(scenes["30"]["paths"]["screenshot"]).content_type == "image/jpeg"


def test_stopped_stash_is_unavailable(make_stash_sim) -> None:
    sim = make_stash_sim(scenes=1)
    assert _client(sim).scenes_by_ids([1])
    port = sim.port
    sim.stop()
    client = StashClient(StashServer("http", "127.0.0.1", port), timeout=10)
    with pytest.raises(StashUnavailable, match=f"127.0.0.1:{port}"):
        client.query("{ version { version } }")
