"""Hostile metadata through the real wire (issue 11): whatever Stash holds arrives in the Plex simulator exactly,
or normalised as the README says (control characters but newline and tab dropped, CRLF as LF, names trimmed, blank
and case-insensitively repeated names dropped, a blank title not sent; a tag shown in the case Plex first met it)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mapping.fields import LIST_FIELDS, desired_fields, field_hashes
from plex.client import connect
from plex.push import build_edit_params, edit, read_item
from tests.fakes import metadata

pytestmark = pytest.mark.e2e  # the Plex simulator runs as a server

RATING_KEY, SECTION = 10001, 1
_TEXT = st.text(st.characters(codec="utf-8"), max_size=300)  # every plane, controls, RTL marks
_NAME = st.one_of(_TEXT, st.sampled_from(["a,b", "A & B", "x=y", "100%", "#1", "[x]", "a]b[", " padded ", ""]))


@pytest.fixture(scope="module")
def plex_pair():
    from simulators.plex.simulator import PlexSimulator

    with PlexSimulator(scenes=5, seed=3) as sim:
        yield sim, connect(sim.url, sim.token, 2.0, 10.0, "stash2plex-fuzz").wire


@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=_TEXT, details=st.one_of(_TEXT, st.just("Long " * 4000)), studio=st.one_of(st.none(), _NAME),
       performers=st.lists(_NAME, max_size=40), tags=st.lists(_NAME, max_size=300),
       date=st.one_of(st.none(), st.dates().map(lambda d: d.isoformat())),
       rating=st.one_of(st.none(), st.integers(1, 100)))
def test_any_metadata_arrives_exactly_as_normalised(plex_pair, title, details, studio, performers, tags, date, rating):
    _sim, plex = plex_pair
    scene = metadata(title=title, details=details, studio=studio, performers=tuple(performers), tags=tuple(tags),
                     date=date, rating100=rating)
    fields = desired_fields(scene)
    current = read_item(plex, RATING_KEY)  # its collections: all earlier examples' studios, this test's own
    edit(plex, RATING_KEY, SECTION, build_edit_params(fields, set(fields), current, current))
    after = read_item(plex, RATING_KEY)
    # A blank Stash title is not in `fields` (never sent). PMS shows a tag in the letter case it first met it,
    # library-wide: lists are compared ignoring case.
    shown = {name: fold(name, after[name]) for name in fields}
    wanted = {name: fold(name, value) for name, value in fields.items()}
    assert field_hashes(shown) == field_hashes(wanted), {k: (shown[k], wanted[k]) for k in fields
                                                        if field_hashes({k: shown[k]}) != field_hashes({k: wanted[k]})}


def fold(name: str, value):
    return [v.casefold() for v in value] if name in LIST_FIELDS else value
