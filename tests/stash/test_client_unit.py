"""StashClient against a scripted 127.0.0.1 server: error mapping, auth headers, fallback, paging arithmetic, covers.

The variables the client builds are also checked against the real schema's input types.
"""

from __future__ import annotations

import json
import socket
from datetime import datetime, timedelta, timezone
from typing import Iterator

import pytest
from graphql import build_schema, parse
from graphql.execution.values import get_variable_values

from plugin import log
from plugin.io import StashServer
from simulators.shared import LATEST_RELEASE, stash_schema_sdl
from stash import queries
from stash.client import StashClient, page_variables, stash_local_time
from stash.errors import StashAuthError, StashError, StashUnavailable
from tests.fixtures.shared import shared_or_skip
from tests.stash.stub_server import StubServer

pytestmark = pytest.mark.e2e  # a scripted HTTP server on 127.0.0.1

COOKIE = "MTc2ODEyMzQ1Nnxjb29raWUtdmFsdWU="
JSON = {"Content-Type": "application/json"}


def _json(body: dict, status: int = 200):
    return status, JSON, json.dumps(body).encode()


@pytest.fixture
def stub() -> Iterator[StubServer]:
    server = StubServer(lambda *a: _json({"data": {}}))
    yield server
    server.close()


def _client(stub: StubServer, **kw) -> StashClient:
    server = StashServer(scheme="http", host="127.0.0.1", port=stub.port, session_cookie=kw.pop("cookie", COOKIE),
                         api_key=kw.pop("api_key", None))
    return StashClient(server, timeout=kw.pop("timeout", 10))


def _vars(stub: StubServer, index: int = -1) -> dict:
    return json.loads(stub.requests[index].body)["variables"]


# -- variables against the real schema -------------------------------------------------------------------------

def test_page_and_entity_variables_coerce_against_real_schema() -> None:
    schema = build_schema(shared_or_skip(lambda: stash_schema_sdl(LATEST_RELEASE)))
    op = parse(queries.FIND_SCENES_PAGE).definitions[0]
    good = page_variables(250, 10, datetime(2026, 1, 10, 12, tzinfo=timezone.utc))
    assert isinstance(get_variable_values(schema, op.variable_definitions, good), dict)
    bad = page_variables(250, 10, None)
    bad["filter"]["direction"] = "UP"
    assert isinstance(get_variable_values(schema, op.variable_definitions, bad), list)


def test_local_time_has_no_offset() -> None:
    naive = datetime(2026, 1, 10, 21, 5, 7)
    assert stash_local_time(naive) == "2026-01-10T21:05:07"
    aware = datetime(2026, 1, 10, 10, 5, 7, tzinfo=timezone.utc)
    assert stash_local_time(aware) == aware.astimezone().strftime("%Y-%m-%dT%H:%M:%S")


# -- auth and errors -------------------------------------------------------------------------------------------

def test_cookie_then_api_key(stub: StubServer) -> None:
    stub.responder = lambda *a: _json({"data": {"configuration": {
        "general": {"apiKey": "eyJhbGciOi.key-value"}, "plugins": {"Stash2Plex": {"plex_url": "http://p:32400"}}}}})
    client = _client(stub)
    assert client.plugin_settings("Stash2Plex") == {"plex_url": "http://p:32400"}
    assert stub.requests[0].headers["cookie"] == f"session={COOKIE}"
    assert "apikey" not in stub.requests[0].headers
    assert _vars(stub) == {} and 'plugins(include: ["Stash2Plex"])' in json.loads(stub.requests[0].body)["query"]
    client.query("{ version { version } }")
    assert stub.requests[1].headers["apikey"] == "eyJhbGciOi.key-value"
    assert "cookie" not in stub.requests[1].headers
    assert log.redact("key eyJhbGciOi.key-value") == "key ***"
    client.clone().query("{ version { version } }")
    assert stub.requests[2].headers["apikey"] == "eyJhbGciOi.key-value"
    assert "cookie" not in stub.requests[2].headers


def test_clone_without_api_key_keeps_the_cookie(stub: StubServer) -> None:
    _client(stub).clone().query("{ version { version } }")
    assert stub.requests[0].headers["cookie"] == f"session={COOKIE}"


def test_empty_api_key_keeps_cookie_and_absent_settings_are_empty(stub: StubServer) -> None:
    stub.responder = lambda *a: _json({"data": {"configuration": {"general": {"apiKey": ""}, "plugins": {}}}})
    client = _client(stub)
    assert client.plugin_settings("Stash2Plex") == {}
    client.plugin_settings("Stash2Plex")
    assert stub.requests[1].headers["cookie"] == f"session={COOKIE}"


def test_settings_found_case_insensitively(stub: StubServer) -> None:
    stub.responder = lambda *a: _json({"data": {"configuration": {"general": {"apiKey": ""},
                                                                   "plugins": {"stash2plex": {"enabled": False}}}}})
    assert _client(stub).plugin_settings("Stash2Plex") == {"enabled": False}


def test_401_is_auth_error_without_secrets(stub: StubServer) -> None:
    stub.responder = lambda *a: (401, {"Content-Type": "text/plain"}, b"Unauthorized")
    with pytest.raises(StashAuthError) as err:
        _client(stub).query("{ version { version } }")
    assert "401" in str(err.value)
    assert COOKIE not in str(err.value)


def test_html_login_page_is_a_clear_error(stub: StubServer) -> None:
    page = b"<!DOCTYPE html><html><head><title>Login</title></head><body>form</body></html>"
    stub.responder = lambda *a: (200, {"Content-Type": "text/html; charset=utf-8"}, page)
    with pytest.raises(StashError) as err:
        _client(stub).query("{ version { version } }")
    assert "login page" in str(err.value) and "authentication failed" in str(err.value)


def test_graphql_errors_are_raised_with_messages(stub: StubServer) -> None:
    stub.responder = lambda *a: _json({"errors": [{"message": "Cannot query field 'path' on type 'Scene'."}],
                                       "data": None}, status=422)
    with pytest.raises(StashError) as err:
        _client(stub).query("{ version { version } }")
    assert type(err.value) is StashError
    assert err.value.messages == ("Cannot query field 'path' on type 'Scene'.",)
    assert "Cannot query field 'path'" in str(err.value)


def test_database_locked_is_transient(stub: StubServer) -> None:
    stub.responder = lambda *a: _json({"errors": [{"message": "database is locked"}], "data": None})
    with pytest.raises(StashUnavailable):
        _client(stub).query("{ version { version } }")


def test_non_json_and_http_errors(stub: StubServer) -> None:
    stub.responder = lambda *a: (200, {"Content-Type": "text/plain"}, b"hello")
    with pytest.raises(StashError, match="not JSON"):
        _client(stub).query("{ version { version } }")
    stub.responder = lambda *a: (500, {"Content-Type": "text/plain"}, b"panic")
    with pytest.raises(StashError, match="HTTP 500"):
        _client(stub).query("{ version { version } }")
    stub.responder = lambda *a: (503, {"Content-Type": "text/plain"}, b"busy")
    with pytest.raises(StashUnavailable, match="HTTP 503"):
        _client(stub).query("{ version { version } }")


def test_connection_refused_is_unavailable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = StashClient(StashServer("http", "127.0.0.1", port, session_cookie=COOKIE), timeout=5)
    with pytest.raises(StashUnavailable) as err:
        client.query("{ version { version } }")
    assert f"127.0.0.1:{port}" in str(err.value)
    assert COOKIE not in str(err.value)


# -- scenes ----------------------------------------------------------------------------------------------------

def test_one_query_per_batch_and_a_deleted_scene_is_just_absent(stub: StubServer) -> None:
    def respond(method, path, headers, body):
        variables = json.loads(body)["variables"]  # real Stash answers null for a findScene id that is gone
        return _json({"data": {alias: None if sid == "2" else {"id": sid} for alias, sid in variables.items()}})

    stub.responder = respond
    assert _client(stub).scenes_by_ids([1, 2, 3]) == [{"id": "1"}, {"id": "3"}]
    assert len(stub.requests) == 1
    assert _vars(stub, 0) == {"s0": "1", "s1": "2", "s2": "3"}


def test_ids_query_other_errors_propagate(stub: StubServer) -> None:
    stub.responder = lambda *a: _json({"errors": [{"message": "boom"}], "data": None})
    with pytest.raises(StashError, match="boom"):
        _client(stub).scenes_by_ids([1])
    assert _client(stub).scenes_by_ids([]) == []


def test_short_pages_from_a_capping_server_do_not_end_the_walk(stub: StubServer) -> None:
    """A server that caps per_page at 2 still gets walked to the end: 5 scenes, asked 3 per page."""
    ids = [1, 2, 4, 7, 9]

    def respond(method, path, headers, body):
        after = json.loads(body)["variables"]["scene_filter"]["id"]["value"]
        rest = [i for i in ids if i > after]
        return _json({"data": {"findScenes": {"count": len(rest), "scenes": [{"id": str(i)} for i in rest[:2]]}}})

    stub.responder = respond
    pages = list(_client(stub).scene_pages(per_page=3))
    assert [[int(s["id"]) for s in p.scenes] for p in pages] == [[1, 2], [4, 7], [9]]
    assert [(p.page, p.count) for p in pages] == [(1, 5), (2, 5), (3, 5)]


def test_recent_pages_filter_precisely_client_side(stub: StubServer) -> None:
    since = datetime(2026, 1, 10, 12, 0, tzinfo=timezone.utc)
    scenes = [{"id": "1", "updated_at": "2026-01-10T12:30:00+01:00"},  # 11:30 UTC: inside the margin only
              {"id": "2", "updated_at": "2026-01-10T13:30:00+01:00"},  # 12:30 UTC: really newer
              {"id": "3", "updated_at": "2026-01-10T12:00:01Z"}]
    stub.responder = lambda *a: _json({"data": {"findScenes": {"count": 3, "scenes": scenes}}})
    pages = list(_client(stub).scene_pages(per_page=10, updated_since=since))
    assert [s["id"] for s in pages[0].scenes] == ["2", "3"]
    sent = _vars(stub)["scene_filter"]["updated_at"]
    assert sent == {"value": stash_local_time(since - timedelta(hours=1)), "modifier": "GREATER_THAN"}


def test_scene_ids_for_each_kind(stub: StubServer) -> None:
    stub.responder = lambda *a: _json({"data": {"findScenes": {"count": 2, "scenes": [{"id": "5"}, {"id": "8"}]}}})
    client = _client(stub)
    assert list(client.scene_ids_for("performer", 3)) == [5, 8]
    assert _vars(stub)["scene_filter"]["performers"] == {"value": ["3"], "modifier": "INCLUDES"}
    assert list(client.scene_ids_for("tag", 4)) == [5, 8]
    assert _vars(stub)["scene_filter"]["tags"] == {"value": ["4"], "modifier": "INCLUDES", "depth": 0}
    assert list(client.scene_ids_for("studio", 6)) == [5, 8]
    assert _vars(stub)["scene_filter"]["studios"]["value"] == ["6"]
    assert list(client.scene_ids_for("group", 7)) == [5, 8]
    assert _vars(stub)["scene_filter"]["movies"] == {"value": ["7"], "modifier": "INCLUDES"}  # every version
    with pytest.raises(ValueError):
        list(client.scene_ids_for("gallery", 1))


# -- covers ----------------------------------------------------------------------------------------------------

def test_cover_url_is_rerooted_on_the_server_connection(stub: StubServer) -> None:
    client = _client(stub)
    client.fetch_cover("https://stash.external.example/prefix/scene/12/screenshot?t=1700000000")
    assert (stub.requests[-1].method, stub.requests[-1].path) == ("GET", "/prefix/scene/12/screenshot?t=1700000000")


@pytest.mark.parametrize(
    ("status", "content_type", "body", "expected"),
    [
        (200, "image/jpeg", b"\xff\xd8\xff\xe0JFIF", "image/jpeg"),
        (200, "image/svg+xml", b"<svg/>", None),
        (200, "text/html; charset=utf-8", b"<html>login</html>", None),
        (404, "text/plain", b"missing", None),
        (200, "image/png", b"", None),
    ],
)
def test_fetch_cover(stub: StubServer, status, content_type, body, expected) -> None:
    stub.responder = lambda *a: (status, {"Content-Type": content_type}, body)
    cover = _client(stub).fetch_cover("http://elsewhere:1/scene/3/screenshot?t=5")
    assert stub.requests[-1].path == "/scene/3/screenshot?t=5"
    assert stub.requests[-1].headers["cookie"] == f"session={COOKIE}"
    if expected is None:
        assert cover is None
    else:
        assert (cover.content_type, cover.data) == (expected, body)
        assert len(cover.sha1) == 40


def test_read_ahead_fetches_the_next_page_while_the_caller_works_and_keeps_order_and_errors() -> None:
    import threading

    from stash.client import read_ahead

    fetched: list[int] = []
    second_fetched = threading.Event()

    def pages():
        for n in (1, 2, 3):
            fetched.append(n)
            if n == 2:
                second_fetched.set()
            yield n
        raise StashUnavailable("Stash is not reachable (connection refused).")

    walk = read_ahead(pages())
    assert next(walk) == 1
    assert second_fetched.wait(5), "page 2 was not fetched while page 1 was being worked on"
    assert next(walk) == 2 and next(walk) == 3
    with pytest.raises(StashUnavailable):
        next(walk)
    assert fetched == [1, 2, 3]


def test_a_redirect_is_not_followed_a_graphql_one_is_an_error_naming_it_and_a_cover_one_is_no_cover() -> None:
    """Stash sends a browser without a session to its login page; a request to it never goes to the Location."""
    server = StubServer(lambda *a: (302, {"Location": "/login?returnURL=%2Fgraphql"}, b""))
    try:
        client = _client(server)
        with pytest.raises(StashError, match="a redirect to .*/login") as raised:
            client.query("{ version { version } }")
        assert not isinstance(raised.value, StashUnavailable)  # waiting will not change an answer
        assert client.fetch_cover("http://stash:9999/scene/1/screenshot") is None
        assert [r.path.split("?")[0] for r in server.requests] == ["/graphql", "/scene/1/screenshot"]
    finally:
        server.close()


def test_a_dropped_connection_is_stash_unavailable_and_only_a_query_is_resent() -> None:
    """A mutation (a play added) may have been applied: never resent; a query is read again once."""
    server = StubServer(lambda *a: (_ for _ in ()).throw(ConnectionResetError("dropped")))
    try:
        with pytest.raises(StashUnavailable, match="broke the connection before answering"):
            _client(server).query("mutation { sceneAddPlay(id: 1) { count } }")
        assert len(server.requests) == 1
        with pytest.raises(StashUnavailable):
            _client(server).query("query { version { version } }")
        assert len(server.requests) == 3
    finally:
        server.close()
