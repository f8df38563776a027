"""Which play mutation the client sends, from one version probe (`stash.activity.StashActivity`)."""

from __future__ import annotations

import pytest

from stash import queries
from stash.activity import StashActivity


class _Answering(StashActivity):
    def __init__(self, version: str) -> None:
        self.version, self.sent = version, []

    def query(self, document: str, variables=None) -> dict:
        self.sent.append((document, variables))
        return {"version": {"version": self.version}} if document == queries.VERSION else {}


@pytest.mark.parametrize("version, mutations", [
    ("v0.24.0", [queries.INCREMENT_PLAY, queries.INCREMENT_PLAY]),  # no sceneAddPlay: one play at a time, dated now
    ("v0.24.3", [queries.INCREMENT_PLAY, queries.INCREMENT_PLAY]),
    ("v0.25.0", [queries.ADD_PLAYS]),
    ("v0.30.1-96-gcf3489e", [queries.ADD_PLAYS]),  # a development build
    ("develop", [queries.ADD_PLAYS]),  # unreadable: taken as newest
])
def test_plays_go_through_the_mutation_the_version_has_and_the_version_is_asked_once(version, mutations) -> None:
    stash = _Answering(version)
    stash.add_plays(7, ["2026-12-01T08:00:00Z", "2026-12-01T08:00:00Z"])
    stash.add_plays(8, ["2026-12-01T08:00:00Z"] * len(mutations))
    sent = [document for document, _ in stash.sent]
    assert sent.count(queries.VERSION) == 1
    assert [d for d in sent if d != queries.VERSION] == mutations * 2
