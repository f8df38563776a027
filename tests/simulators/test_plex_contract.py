"""Contract: plexapi reads the simulator's XML exactly as it reads real PMS XML (shared/plex-fixtures).

The real files are served by a tiny stub on 127.0.0.1 so both sides go through the same plexapi code path;
every assertion is made on both, so a shape the simulator gets wrong shows up as a difference from PMS.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator

import pytest
from plexapi.library import MovieSection
from plexapi.media import Poster
from plexapi.server import PlexServer
from plexapi.video import Movie

from simulators.shared import plex_fixture
from tests.fixtures.shared import shared_or_skip

pytestmark = pytest.mark.e2e  # the Plex simulator runs as a server

_ROUTES = {
    "/": "server_root.xml",
    "/library/sections": "library_sections.xml",
    "/library/sections/1/all": "library_sections_1_all_page.xml",
    "/library/metadata/134703": "library_metadata_movie.xml",
    "/library/metadata/134703/posters": "library_metadata_posters.xml",
}
_LIBRARY = b'<MediaContainer size="0" identifier="com.plexapp.plugins.library" title1="Plex Library"/>'


@pytest.fixture(scope="module")
def real_pms() -> Iterator[PlexServer]:
    """A stub answering with the recorded PMS files (the query string is ignored, as the files are fixed)."""
    bodies = {path: shared_or_skip(lambda name=name: plex_fixture(name)).read_bytes()
              for path, name in _ROUTES.items()}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            body = bodies.get(path) or (_LIBRARY if path == "/library" else b"")
            self.send_response(200 if body else 404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield PlexServer(f"http://127.0.0.1:{server.server_address[1]}", "stub-token", timeout=5)
    server.shutdown()
    server.server_close()


@pytest.fixture
def sim_pms(plex_sim) -> PlexServer:
    return PlexServer(plex_sim.url, plex_sim.token, timeout=5)


def _both(real_pms: PlexServer, sim_pms: PlexServer) -> list[tuple[str, PlexServer]]:
    return [("real", real_pms), ("sim", sim_pms)]


def test_root_identifies_the_server(real_pms, sim_pms):
    for _, plex in _both(real_pms, sim_pms):
        assert plex.machineIdentifier
        assert plex.version
        assert plex.friendlyName


def test_movie_sections_have_locations(real_pms, sim_pms):
    for _, plex in _both(real_pms, sim_pms):
        movie_sections = [s for s in plex.library.sections() if s.type == "movie"]
        assert movie_sections
        for section in movie_sections:
            assert type(section) is MovieSection
            assert section.locations
            assert section.uuid and section.updatedAt and section._data.get("scannedAt")


def test_listing_items_are_partial_movies_with_truncated_tags(real_pms, sim_pms, plex_sim):
    plex_sim.user_edit(10001, genres=["G1", "G2", "G3"], actors=[("A1", "r", None)] * 1)
    for label, plex in _both(real_pms, sim_pms):
        items = plex.fetchItems("/library/sections/1/all")
        assert items, label
        for movie in items:
            assert type(movie) is Movie
            assert movie.isPartialObject()
            assert movie.librarySectionID == 1
            assert movie.locations and all(loc.startswith("/") for loc in movie.locations)
            part = movie.media[0].parts[0]
            assert part.size > 0 and part.duration > 0
            assert movie.addedAt and movie.updatedAt
        tagged = [m for m in items if m._data.findall("Genre")]
        assert tagged, label
        for movie in tagged:
            genres = movie._data.findall("Genre")
            assert len(genres) <= 2
            assert all(set(g.attrib) == {"tag"} for g in genres), label  # listing tags carry no id/filter


def test_full_item_has_tag_ids_roles_and_media(real_pms, sim_pms, plex_sim):
    plex_sim.user_edit(10002, genres=["Drama", "Music"], actors=[("Jane Doe", "Heroine", "http://img/j.jpg")])
    for label, plex, rk in (("real", real_pms, 134703), ("sim", sim_pms, 10002)):
        movie = plex.fetchItem(rk)
        movie.reload()
        assert type(movie) is Movie, label
        assert movie.librarySectionID and movie.librarySectionKey, label
        assert movie.locations, label
        assert [g.tag for g in movie.genres], label
        assert all(g.id for g in movie.genres), label
        role = movie.roles[0]
        assert role.tag and role.role and role.thumb, label
        assert movie.guid and movie.key == f"/library/metadata/{rk}", label


def test_posters_parse_as_poster_objects(real_pms, sim_pms):
    sim_movie = sim_pms.fetchItem(10001)
    sim_movie.uploadPoster(filepath=b"\x89PNG fake")
    for label, plex, rk in (("real", real_pms, 134703), ("sim", sim_pms, 10001)):
        posters = plex.fetchItem(rk).posters()
        assert posters and all(type(p) is Poster for p in posters), label
        assert sum(1 for p in posters if p.selected) == 1, label
