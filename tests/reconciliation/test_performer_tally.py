"""Whether a performer went away between two reconciles, from Stash's (count, newest id) tallies."""

from __future__ import annotations

import pytest

from reconciliation.engine import performers_went


@pytest.mark.parametrize("last, now, went", [
    (None, (10, 12), False),  # the first tally: nothing to compare
    ("10 12", (10, 12), False),
    ("10 12", (13, 15), False),  # three created
    ("10 12", (9, 12), True),  # one merged away (or deleted)
    ("10 12", (12, 15), True),  # three created, one gone
    ("10 12", (10, 13), True),  # one created, one gone: same count, so the count alone would miss it
])
def test_a_performer_gone_is_seen_from_the_tallies(last, now, went) -> None:
    assert performers_went(last, now) is went
