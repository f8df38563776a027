"""Our HTTP and XML code against real recorded PMS responses, served on 127.0.0.1."""

from __future__ import annotations

import socket

import pytest

from plex.client import connect
from plex.errors import PlexDown, PlexNotFound, PlexTransient, PlexUnauthorized
from plex.push import read_item
from plex.sections import find_by_file, iter_section_items, list_sections
from tests.plex.fixture_server import TOKEN, FixturePlex

pytestmark = pytest.mark.e2e  # recorded PMS answers served on 127.0.0.1

CLIENT_ID = "stash2plex-test-client"


@pytest.fixture
def fx():
    server = FixturePlex()
    yield server
    server.close()


@pytest.fixture
def plex(fx):
    return connect(fx.url, TOKEN, 2.0, 5.0, CLIENT_ID).wire


def test_connect_sends_persistent_identity_and_one_request_and_the_wire_the_same_identity(fx):
    client = connect(fx.url, TOKEN, 2.0, 5.0, CLIENT_ID)
    assert len(fx.requests) == 1
    method, path, headers = fx.requests[0]
    assert (method, path) == ("GET", "/")
    assert headers["X-Plex-Client-Identifier"] == CLIENT_ID
    assert headers["X-Plex-Product"] == "Stash2Plex"
    assert client.server._session.trust_env is False
    assert client.server._timeout == (2.0, 5.0)
    list_sections(client.wire, [])
    method, path, headers = fx.requests[1]
    assert (method, path) == ("GET", "/library/sections")
    assert (headers["X-Plex-Client-Identifier"], headers["X-Plex-Product"], headers["X-Plex-Token"]) == (
        CLIENT_ID, "Stash2Plex", TOKEN)


def test_list_sections_movie_only_and_unknown_titles(fx, plex):
    sections, unknown = list_sections(plex, ["movies", "Kids Movies", "TV Shows", "Nope"])
    assert [(s.key, s.title) for s in sections] == [(4, "Kids Movies"), (3, "Movies")]
    assert sections[1].scanned_at == 1700000048 and sections[1].locations == ("/mnt/Movies_1",)
    assert unknown == ["TV Shows", "Nope"]
    every, unknown = list_sections(plex, [])
    assert len(every) == 2 and unknown == []


def test_index_parses_real_listing_and_pages_by_header(fx, plex):
    sections, _ = list_sections(plex, ["Movies"])
    fx.requests.clear()
    records = []
    # The recorded page is the first 10 of 358 items and nothing follows: a listing that ends short of its
    # totalSize is reported, so the index is never swapped for a partial one.
    with pytest.raises(PlexTransient, match="listed 10 of 358 items"):
        records.extend(iter_section_items(plex, sections[0], page_size=1000))
    assert len(records) == 10
    first = records[0]
    assert first.rating_key == 28550 and first.section_id == 3
    assert first.parts == [("/Movies/4 for Texas (1963)/4 for Texas (1963).avi", 1468592128)]
    assert first.fields["title"] == "4 for Texas" and first.fields["studio"] == "The Sam Company"
    assert first.fields["originallyAvailableAt"] == "1963-12-21"
    assert first.fields["genres"] == ["Comedy", "Western"] and first.fields["tags_partial"] is True
    assert first.fields["actors"] == ["Frank Sinatra", "Dean Martin", "Anita Ekberg"]
    assert first.fields["duration"] == 6908735
    # Page 1, page 2 (start=10) empty -> stop; both sent as headers, never as query parameters.
    assert [(r[1], r[2]["X-Plex-Container-Start"], r[2]["X-Plex-Container-Size"]) for r in fx.requests] == [
        ("/library/sections/3/all?type=1&sort=addedAt", "0", "1000"),
        ("/library/sections/3/all?type=1&sort=addedAt", "10", "1000")]


def test_file_lookup_confirms_exact_part(fx, plex):
    path = "/Movies/4 for Texas (1963)/4 for Texas (1963).avi"
    fx.requests.clear()
    found = find_by_file(plex, 1, path)
    assert [(p.rating_key, p.path, p.size) for p in found] == [(28550, path, 1468592128)]
    quoted = "%2FMovies%2F4%20for%20Texas%20%281963%29%2F4%20for%20Texas%20%281963%29.avi"
    assert fx.requests[0][1] == f"/library/sections/1/all?type=1&file={quoted}"
    assert find_by_file(plex, 1, "/Movies/4 for Texas (1963)") == []


def test_read_item_full_tags(fx, plex):
    item = read_item(plex, 134703)
    assert item["title"] == "Wicked" and item["tags_partial"] is False
    assert len(item["actors"]) > 20 and item["genres"]
    assert item["parts"] and item["parts"][0][0].startswith("/")


def test_missing_item_is_not_found(fx, plex):
    with pytest.raises(PlexNotFound):
        read_item(plex, 99999)


def test_bad_token_is_unauthorized_without_token_in_message(fx):
    with pytest.raises(PlexUnauthorized) as err:
        connect(fx.url, "wrong-token-abc", 2.0, 5.0, CLIENT_ID)
    assert "wrong-token-abc" not in str(err.value) and "Plex rejected the token" in str(err.value)


def test_refused_is_plex_down():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    with pytest.raises(PlexDown):
        connect(f"http://127.0.0.1:{port}", TOKEN, 1.0, 1.0, CLIENT_ID)


@pytest.mark.parametrize("stall_body", [False, True])
def test_read_timeout_really_applied(fx, stall_body):
    plex = connect(fx.url, TOKEN, 5.0, 0.3, CLIENT_ID).wire
    fx.stall_seconds, fx.stall_body = 1.5, stall_body
    with pytest.raises(PlexTransient, match="too slow"):
        list_sections(plex, [])


def test_connect_timeout_is_not_the_read_timeout(fx):
    fx.stall_seconds = 0.6
    plex = connect(fx.url, TOKEN, 0.2, 5.0, CLIENT_ID)  # a short connect limit does not cut a slow answer
    assert plex.server.friendlyName == "Plex Server 1"
    assert len(list_sections(plex.wire, [])[0]) == 2
