"""What the end-to-end tests share: Stash's view of the scenes, the checks every sync ends with, and counts read
from the plugin's database through its `Store` facade."""

from __future__ import annotations

import re
from pathlib import Path

SYNC_ALL = "Sync All Scenes to Plex"


SUMMARY = re.compile(r"Sync All: (\d+) synced, (\d+) unchanged, (\d+) not in Plex, (\d+) ambiguous, (\d+) failed")


_SCENES = """query($page: Int) { findScenes(filter: {per_page: 1000, page: $page, sort: "id", direction: ASC}) {
  count scenes { id title details date rating100 updated_at files { path } studio { name } performers { name }
  tags { name } } } }"""


def summary_counts(run) -> dict:
    """The five numbers of a Sync All summary; fails the test when the output does not carry them."""
    found = SUMMARY.search(str(run.output or ""))
    assert found, f"no Sync All summary in {run.output!r} (error {run.error!r})"
    names = ("synced", "unchanged", "not_in_plex", "ambiguous", "failed")
    return dict(zip(names, map(int, found.groups()), strict=True))


def all_scenes(env) -> list[dict]:
    """Every scene as Stash's GraphQL shows it, names resolved (independent of the plugin's client)."""
    scenes: list[dict] = []
    page = 1
    while True:
        found = env.stash.graphql(_SCENES, {"page": page})["findScenes"]
        scenes += found["scenes"]
        if not found["scenes"] or len(scenes) >= found["count"]:
            return scenes
        page += 1


def expected_date(date: str | None) -> str:
    date = date or ""
    if len(date) == 4:
        return date + "-01-01"
    if len(date) == 7:
        return date + "-01"
    return date


def assert_item_shows(scene: dict, item) -> None:
    """The Plex item shows exactly the scene's Stash metadata (the rules of conftest's Env.assert_in_step)."""
    label = f"scene {scene['id']}"
    assert item is not None, f"{label} has no Plex item"
    if scene["title"]:
        assert item.title == scene["title"], label
    assert (item.summary or "") == scene["details"], label
    assert (item.studio or "") == (scene["studio"] or {}).get("name", ""), label
    assert sorted(item.genres) == sorted(t["name"] for t in scene["tags"]), label
    assert sorted(a[0] for a in item.actors) == sorted(p["name"] for p in scene["performers"]), label
    assert item.user_rating == (None if scene["rating100"] is None else scene["rating100"] / 10), label
    assert (item.originally_available_at or "") == expected_date(scene["date"]), label


def jobs_ever_queued(env) -> int:
    """Rows ever inserted into the job table (AUTOINCREMENT keeps counting after acked rows are pruned)."""
    with env.db() as conn:
        row = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'ack_queue_default'").fetchone()
    return int(row[0]) if row else 0


def job_reasons(env) -> dict:
    """How many of the job rows still in the table exist for each reason (for failure messages)."""
    with env.db() as conn:
        rows = conn.execute("SELECT json_extract(CAST(data AS TEXT), '$.reason'), COUNT(*) FROM ack_queue_default "
                            "GROUP BY 1").fetchall()
    return dict(rows)


def retried_jobs(env) -> int:
    return job_reasons(env).get("retry", 0)


def assert_progress_sane(run) -> None:
    assert run.progress, "the task reported no progress"
    assert all(0.0 <= p <= 1.0 for p in run.progress), run.progress
    assert run.progress == sorted(run.progress), f"progress went backwards: {run.progress}"
    assert run.progress[-1] == 1.0


def assert_token_nowhere(env, runs=None) -> None:
    """The Plex token is in no run's stdout, output, error or log lines (every run Stash made unless `runs` names
    some), no Stash server log line, the drainer log, or the database files."""
    token = env.plex.token
    for run in env.stash.runs if runs is None else runs:
        texts = [run.stdout, str(run.output), str(run.error), *(msg for _, msg in run.logs)]
        assert not any(token in t for t in texts), f"token leaked by {run.kind} {run.name}"
    assert all(token not in message for _, message in env.stash.log)
    assert token not in env.drainer_log()
    for path in Path(env.data_dir).glob("stash2plex.sqlite3*"):  # the database, its WAL and shm
        assert token.encode() not in path.read_bytes(), f"token stored in {path.name}"
