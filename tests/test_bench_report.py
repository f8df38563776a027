"""The benchmark's judging: the write limit from Plex's state, every target in one place, and a README whose
sentence says what its table says."""

from __future__ import annotations

from bench import readme
from bench.needed import needed_writes, write_limit_s
from bench.report import all_met, latest, rows


def _item(key: int, **fields) -> dict:
    base = {"rating_key": key, "title": "A", "summary": "", "locked": [], "genres": [], "poster_sha1": None,
            "poster_uploads": 0, "updated_at": 1, "view_count": 0}
    return {**base, **fields}


def test_needed_writes_come_from_plex_state_not_from_requests() -> None:
    before = [_item(1), _item(2), _item(3)]
    after = [_item(1, title="B", locked=["title"], updated_at=5), _item(2, poster_sha1="x", poster_uploads=3),
             _item(3, view_count=2, updated_at=9)]
    needed = needed_writes(before, after)
    assert needed == {"edits": 1, "posters": 1}  # three uploads of one poster still need one
    assert write_limit_s(needed, 0.025, 0.060) == 0.085


def test_a_full_run_passes_only_when_every_target_is_met() -> None:
    results = {"hook_latency": {"hook_ms": {"median": 20.0}, "ratio_median": 2.5},
               "crash": {"kills": 5, "extra_edits_per_kill": 0.8, "extra_posters_per_kill": 0.2, "jobs_left": 0}}
    judged = rows(results)
    assert not all_met(judged)  # most figures were not measured: not met
    crash = [r for r in judged if r.section == "7 crash" and r.met is not None]
    assert crash and all(r.met for r in crash)
    worse = rows({**results, "crash": {**results["crash"], "extra_edits_per_kill": 4.2}})
    assert [r.met for r in worse if r.figure == "extra edit PUTs per kill"] == [False]


def test_the_readme_sentence_says_the_tables_numbers() -> None:
    results = {"latency_model": {"wall_s": 170.5, "plex_write_limit_s": 160.0, "wall_over_write_limit": 1.066,
                                 "puts_per_changed_item": 1.0, "needed_edits": 100, "needed_posters": 95,
                                 "plex_requests_per_synced_item": 1.96},
               "crash": {"kills": 5, "extra_edits_per_kill": 0.8, "extra_posters_per_kill": 0.2, "jobs_left": 0}}
    text = readme.render(latest(rows(results)))
    table, _, sentence = text.partition("```\n\n")
    for number in ("170.5", "1.066", "160.0", "0.8", "0.2"):
        assert number in table and number in sentence
    assert "not met: hook median ms (not measured against <= 50)" in " ".join(sentence.split())
