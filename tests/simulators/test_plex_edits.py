"""Edit semantics of the Plex simulator, driven through plexapi as the plugin will drive real PMS."""

from __future__ import annotations

import hashlib

import pytest
import requests
from plexapi.exceptions import BadRequest
from plexapi.server import PlexServer

pytestmark = pytest.mark.e2e  # the Plex simulator runs as a server

RK = 10001  # scene 1


@pytest.fixture
def plex(plex_sim) -> PlexServer:
    return PlexServer(plex_sim.url, plex_sim.token, timeout=5)


@pytest.fixture
def movie(plex):
    return plex.fetchItem(RK)


def _genres(plex_sim, rk: int = RK) -> list[str]:
    return plex_sim.item(rk).genres


def test_set_and_lock_a_field(plex_sim, movie):
    movie.editTitle("Locked Title").editSummary("Line one\nLine two & 100% = ok #hash", locked=False)
    state = plex_sim.item(RK)
    assert state.title == "Locked Title"
    assert state.summary == "Line one\nLine two & 100% = ok #hash"
    assert state.locked == {"title"}
    movie.reload()
    assert movie.isLocked("title") and not movie.isLocked("summary")
    assert movie.summary == "Line one\nLine two & 100% = ok #hash"


def test_locked_field_survives_agent_refresh_unlocked_is_reset(plex_sim, movie):
    original = plex_sim.item(RK).title
    movie.edit(**{"title.value": "Kept", "title.locked": 1, "studio.value": "Lost Studio", "studio.locked": 0})
    movie.refresh()
    state = plex_sim.item(RK)
    assert state.title == "Kept"
    assert state.studio is None
    movie.edit(**{"title.locked": 0})
    movie.refresh()
    assert plex_sim.item(RK).title == original


def test_indexed_tags_replace_the_whole_list(plex_sim, movie):
    movie.edit(**{"genre[0].tag.tag": "A", "genre[1].tag.tag": "B", "genre[2].tag.tag": "C"})
    assert _genres(plex_sim) == ["A", "B", "C"]
    movie.edit(**{"genre[0].tag.tag": "D", "genre.locked": 1})
    assert _genres(plex_sim) == ["D"]
    assert "genre" in plex_sim.item(RK).locked


def test_remove_values_containing_comma_and_ampersand(plex_sim, movie):
    movie.addGenre(["A,B test", "Q&A", "Keep", "Sci-Fi & Fantasy"])
    assert _genres(plex_sim) == ["A,B test", "Q&A", "Keep", "Sci-Fi & Fantasy"]
    movie.removeGenre(["A,B test", "Q&A", "Sci-Fi & Fantasy"])
    assert _genres(plex_sim) == ["Keep"]


def test_the_bare_empty_list_form_is_ignored_and_removal_empties(plex_sim, movie):
    """`genre[].tag=` is in the API spec only (no client sends it): ignored, so nothing can rely on it; plexapi's
    removal of every entry empties the list."""
    movie.addGenre(["One", "Two"]).addLabel("L")
    movie.edit(**{"genre[].tag": ""})
    assert _genres(plex_sim) == ["One", "Two"]
    movie.removeGenre(["One", "Two"])
    assert _genres(plex_sim) == []
    assert plex_sim.item(RK).labels == ["L"]


def test_actors_with_roles_and_thumbs(plex_sim, movie):
    movie.edit(**{
        "actor[0].tag.tag": "Jane Doe", "actor[0].tagging.text": "Heroine", "actor[0].tag.thumb": "http://h/j.jpg",
        "actor[1].tag.tag": "Rémy Moreau", "actor.locked": 1,
    })
    assert plex_sim.item(RK).actors == [("Jane Doe", "Heroine", "http://h/j.jpg"), ("Rémy Moreau", None, None)]
    movie.reload()
    assert [(r.tag, r.role, r.thumb) for r in movie.roles] == [
        ("Jane Doe", "Heroine", "http://h/j.jpg"), ("Rémy Moreau", None, None)]
    assert movie.isLocked("actor")


def test_an_actor_photo_is_the_persons_on_every_item(plex, plex_sim, movie):
    """`actor[i].tag.thumb` sets the photo of the person (a tag is server-wide), so another item with that actor
    shows it, even one edited afterwards without a photo (simulators/FIDELITY.md)."""
    other = plex.fetchItem(RK + 1)
    other.edit(**{"actor[0].tag.tag": "Jane Doe", "actor[1].tag.tag": "Kim Lee"})
    movie.edit(**{"actor[0].tag.tag": "Jane Doe", "actor[0].tag.thumb": "http://h/j.jpg"})
    assert plex_sim.item(RK + 1).actors == [("Jane Doe", None, "http://h/j.jpg"), ("Kim Lee", None, None)]
    other.edit(**{"actor[0].tag.tag": "Kim Lee", "actor[1].tag.tag": "Jane Doe"})
    assert plex_sim.item(RK + 1).actors == [("Kim Lee", None, None), ("Jane Doe", None, "http://h/j.jpg")]


def test_collection_add_and_remove(plex_sim, movie):
    movie.addCollection("Northwind Pictures")
    movie.reload()
    movie.addCollection("Harbor & Co")
    assert plex_sim.item(RK).collections == ["Northwind Pictures", "Harbor & Co"]
    movie.removeCollection("Northwind Pictures")
    assert plex_sim.item(RK).collections == ["Harbor & Co"]


def test_user_rating_by_field_and_by_rate(plex_sim, movie):
    movie.editUserRating(8)
    assert plex_sim.item(RK).user_rating == 8.0
    movie.rate(3.5)
    assert plex_sim.item(RK).user_rating == 3.5
    movie.rate()
    assert plex_sim.item(RK).user_rating is None
    assert plex_sim.counts["rate"] == 2


def test_poster_upload_is_selected_locked_and_counted(plex_sim, movie):
    image = b"\xff\xd8\xff fake jpeg bytes"
    movie.uploadPoster(filepath=image)
    state = plex_sim.item(RK)
    assert state.poster_sha1 == hashlib.sha1(image).hexdigest()
    assert state.poster_uploads == 1
    assert "thumb" in state.locked
    assert plex_sim.counts["poster"] == 1
    assert plex_sim.write_count(RK) == 1
    selected = [p for p in movie.posters() if p.selected]
    assert [p.ratingKey for p in selected] == [f"upload://posters/{state.poster_sha1}"]
    movie.uploadArt(filepath=b"art")
    assert plex_sim.item(RK).art_uploads == 1
    assert plex_sim.counts["poster"] == 2


def test_listing_truncates_tags_full_item_has_all(plex_sim, plex):
    plex_sim.user_edit(RK, genres=["G1", "G2", "G3", "G4", "G5"], actors=[(f"P{i}", None, None) for i in range(5)],
                       directors=["D1", "D2", "D3"])
    listed = next(m for m in plex.library.sectionByID(1).all() if m.ratingKey == RK)
    assert [g.tag for g in listed.genres] == ["G1", "G2"]
    assert len(listed.roles) == 3
    assert len(listed.directors) == 2
    listed.reload()
    assert [g.tag for g in listed.genres] == ["G1", "G2", "G3", "G4", "G5"]
    assert len(listed.roles) == 5


def test_unknown_field_is_400_and_changes_nothing(plex_sim, movie):
    before = plex_sim.item(RK)
    with pytest.raises(BadRequest, match=r"\(400\)"):
        movie.edit(**{"title.value": "Should not apply", "bogus.value": "x"})
    with pytest.raises(BadRequest, match=r"\(400\)"):
        movie.edit(**{"nonsense[0].tag.tag": "x"})
    assert plex_sim.item(RK) == before


def test_invalid_date_is_500(plex_sim, movie):
    with pytest.raises(BadRequest, match=r"\(500\)"):
        movie.editOriginallyAvailable("2024-02-30")
    assert plex_sim.item(RK).originally_available_at is None


def test_edit_bumps_updated_at_and_counts_once_per_item(plex_sim, plex):
    section = plex.library.sectionByID(1)
    a, b = plex.fetchItem(10001), plex.fetchItem(10002)
    before = plex_sim.item(10001).updated_at
    section.multiEdit([a, b], **{"studio.value": "Blue Fern", "studio.locked": 1})
    assert plex_sim.item(10001).studio == plex_sim.item(10002).studio == "Blue Fern"
    assert plex_sim.item(10001).updated_at > before
    assert (plex_sim.edit_count(10001), plex_sim.edit_count(10002), plex_sim.edit_count(10003)) == (1, 1, 0)
    assert plex_sim.counts["edit"] == 1
    a.editStudio("Blue Fern 2")
    assert plex_sim.item(10001).updated_at > plex_sim.item(10002).updated_at


def test_put_on_metadata_path_and_empty_200_body(plex_sim):
    resp = requests.put(f"{plex_sim.url}/library/metadata/{RK}",
                        params={"summary.value": "Raw", "X-Plex-Token": plex_sim.token}, timeout=5)
    assert resp.status_code == 200
    assert resp.content == b"" and resp.headers["Content-Length"] == "0"
    assert plex_sim.item(RK).summary == "Raw"
    assert plex_sim.counts["edit"] == 1


def test_edit_on_wrong_section_or_unknown_item_is_404(plex_sim):
    url = f"{plex_sim.url}/library/sections/2/all"
    headers = {"X-Plex-Token": plex_sim.token}
    assert requests.put(url, params={"id": RK, "type": 1, "title.value": "x"}, headers=headers,
                        timeout=5).status_code == 404
    assert requests.put(f"{plex_sim.url}/library/sections/1/all", params={"id": 999, "title.value": "x"},
                        headers=headers, timeout=5).status_code == 404


def test_a_section_edit_without_an_id_rewrites_the_whole_section(plex_sim):
    """As PMS does (plex-api-spec updateItems); the e2e Sync All checks the plugin never sends one."""
    resp = requests.put(f"{plex_sim.url}/library/sections/1/all", params={"type": 1, "summary.value": "All of them"},
                        headers={"X-Plex-Token": plex_sim.token}, timeout=5)
    assert resp.status_code == 200 and plex_sim.router.section_wide_edits == 1
    assert plex_sim.item(RK).summary == plex_sim.item(RK + 1).summary == "All of them"


def test_user_edit_in_plex_ui_locks_what_it_touches(plex_sim):
    plex_sim.user_edit(RK, genres=["Drama", "Music"])
    state = plex_sim.user_edit(RK, title="Renamed in Plex", remove_genre="Drama")
    assert state.title == "Renamed in Plex"
    assert state.genres == ["Music"]
    assert {"title", "genre"} <= state.locked
    assert plex_sim.counts["total"] == 0
