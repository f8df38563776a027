"""Auth and cover images of the Stash simulator, as a plugin's HTTP client meets them."""

from __future__ import annotations

import pytest
import requests

pytestmark = pytest.mark.e2e  # the Stash simulator runs as a server

Q = {"query": "{ version { version } }"}


def test_no_auth_configured_means_everything_is_open(stash_sim):
    assert requests.post(f"{stash_sim.url}/graphql", json=Q, timeout=10).status_code == 200
    r = requests.get(f"{stash_sim.url}/scene/1/screenshot", timeout=10)
    assert r.status_code == 200 and r.headers["Content-Type"] == "image/jpeg"


def test_auth_refuses_graphql_with_401_and_redirects_images_to_a_login_page(make_stash_sim):
    sim = make_stash_sim(scenes=5, api_key="k-123")
    assert requests.post(f"{sim.url}/graphql", json=Q, timeout=10).status_code == 401
    raw = requests.get(f"{sim.url}/scene/1/screenshot?t=5", timeout=10, allow_redirects=False)
    assert raw.status_code == 302 and raw.headers["Location"].startswith("/login")
    followed = requests.get(f"{sim.url}/scene/1/screenshot?t=5", timeout=10)
    assert followed.status_code == 200 and followed.headers["Content-Type"].startswith("text/html")
    wrong = requests.post(f"{sim.url}/graphql", json=Q, headers={"ApiKey": "nope"}, timeout=10)
    assert wrong.status_code == 401


def test_api_key_header_query_parameter_and_session_cookie_are_accepted(make_stash_sim):
    sim = make_stash_sim(scenes=5, api_key="k-123")
    assert requests.post(f"{sim.url}/graphql", json=Q, headers={"ApiKey": "k-123"}, timeout=10).status_code == 200
    assert requests.post(f"{sim.url}/graphql?apikey=k-123", json=Q, timeout=10).status_code == 200
    cookie = sim.session_cookie()
    r = requests.get(f"{sim.url}/scene/2/screenshot", cookies={"session": cookie}, timeout=10)
    assert r.status_code == 200 and r.headers["Content-Type"] == "image/jpeg"
    forged = requests.post(f"{sim.url}/graphql", json=Q, cookies={"session": "forged"}, timeout=10)
    assert forged.status_code == 401
    key = requests.post(f"{sim.url}/graphql", json={"query": "{ configuration { general { apiKey } } }"},
                        headers={"ApiKey": "k-123"}, timeout=10)
    assert key.json()["data"]["configuration"]["general"]["apiKey"] == "k-123"


def test_login_form_issues_a_session_cookie(make_stash_sim):
    sim = make_stash_sim(scenes=5, username="admin", password="pw")
    s = requests.Session()
    assert s.post(f"{sim.url}/graphql", json=Q, timeout=10).status_code == 401
    assert s.post(f"{sim.url}/login", data={"username": "admin", "password": "bad"}, timeout=10,
                  allow_redirects=False).status_code == 401
    ok = s.post(f"{sim.url}/login", data={"username": "admin", "password": "pw"}, timeout=10, allow_redirects=False)
    assert ok.status_code == 302 and "session" in s.cookies
    assert s.post(f"{sim.url}/graphql", json=Q, timeout=10).status_code == 200


def test_covers_are_jpeg_and_differ_per_scene_and_after_set_cover(stash_sim):
    def get(sid):
        r = requests.get(f"{stash_sim.url}/scene/{sid}/screenshot?t=1", timeout=10)
        assert r.status_code == 200 and r.headers["Content-Type"] == "image/jpeg"
        assert r.content[:2] == b"\xff\xd8" and r.content[-2:] == b"\xff\xd9"
        return r.content

    one, two = get(1), get(2)
    assert one != two
    stash_sim.set_cover(1)
    assert get(1) not in (one, two)


def test_scene_without_cover_answers_the_svg_placeholder_until_a_cover_exists(stash_sim):
    r = requests.get(f"{stash_sim.url}/scene/30/screenshot", timeout=10)  # every 30th scene has no cover
    assert r.status_code == 200 and r.headers["Content-Type"] == "image/svg+xml"
    assert r.content.lstrip().startswith(b"<svg")
    stash_sim.set_cover(30)
    assert requests.get(f"{stash_sim.url}/scene/30/screenshot", timeout=10).headers["Content-Type"] == "image/jpeg"


def test_screenshot_url_carries_request_host_and_updated_at(stash_sim):
    q = {"query": '{ findScene(id: "3") { updated_at paths { screenshot } } }'}
    r = requests.post(f"{stash_sim.url}/graphql", json=q, headers={"Host": f"localhost:{stash_sim.port}"}, timeout=10)
    url = r.json()["data"]["findScene"]["paths"]["screenshot"]
    assert url.startswith(f"http://localhost:{stash_sim.port}/scene/3/screenshot?t=")
    stash_sim.update_scene(3, title="changed")
    r = requests.post(f"{stash_sim.url}/graphql", json=q, timeout=10)
    assert r.json()["data"]["findScene"]["paths"]["screenshot"].split("?t=")[1] != url.split("?t=")[1]
