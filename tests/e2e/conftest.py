"""End-to-end fixtures: the plugin installed into a simulated Stash, talking to a simulated Plex.

Everything crosses real process and HTTP boundaries: the Stash simulator spawns Stash2Plex.py exactly as
Stash does (stdin JSON, hooks waited for), and the plugin reaches both simulators on 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import pytest

from package_plugin import install
from simulators.plex import PlexSimulator
from simulators.stash.server import StashSimulator
from sync_queue import Store
from tests.waiting import wait_for

PLUGIN_ID = "Stash2Plex"
_SCENE = """query($id: ID) { findScene(id: $id) { id title details date rating100 updated_at
  files { path } studio { name } performers { name } tags { name } } }"""


@dataclass
class Env:
    stash: StashSimulator
    plex: PlexSimulator
    data_dir: Path

    def configure(self, **settings: Any) -> None:
        base = {"plex_url": self.plex.url, "plex_token": self.plex.token}
        self.stash.configure_plugin(PLUGIN_ID, {**base, **settings})

    def task(self, name: str, timeout: float = 120.0):
        return self.stash.run_task(PLUGIN_ID, name, timeout=timeout)

    def db(self) -> sqlite3.Connection:
        return sqlite3.connect(self.data_dir / "stash2plex.sqlite3", timeout=30)

    def store(self) -> Store:
        """The plugin's database through its own facade (close it: `with env.store() as store`)."""
        return Store(self.data_dir / "stash2plex.sqlite3")

    def wait_drained(self, timeout: float = 60.0) -> None:
        """Waits until nothing is queued or requested (jobs, renames, a reconcile) and no drainer holds the lease."""
        def drained() -> bool:
            with self.store() as store:
                return not (store.queue.pending_count() or store.queue.claimed_count() or store.entities.any_pending()
                            or store.requests.reconcile_waiting() or store.lease.is_held())
        wait_for(drained, timeout, "the queue drained", interval=0.2)

    def drainer_log(self) -> str:
        path = self.data_dir / "drainer.log"
        return path.read_text(encoding="utf-8") if path.exists() else ""

    def scene(self, scene_id: int) -> dict:
        """The scene as Stash's GraphQL shows it (names resolved), independent of the plugin's own client."""
        return self.stash.graphql(_SCENE, {"id": str(scene_id)})["findScene"]

    def plex_item_for_scene(self, scene_id: int):
        return self.plex.item_for_stash_path(self.scene(scene_id)["files"][0]["path"])

    def assert_in_step(self, scene_id: int) -> None:
        """The Plex item shows exactly the scene's Stash metadata (DESIGN.md field rules)."""
        scene = self.scene(scene_id)
        item = self.plex.item_for_stash_path(scene["files"][0]["path"])
        assert item is not None, f"scene {scene_id} has no Plex item"
        if scene["title"]:
            assert item.title == scene["title"]
        assert (item.summary or "") == scene["details"]
        assert (item.studio or "") == (scene["studio"] or {}).get("name", "")
        assert sorted(item.genres) == sorted(t["name"] for t in scene["tags"])
        assert sorted(a[0] for a in item.actors) == sorted(p["name"] for p in scene["performers"])
        expected_rating = None if scene["rating100"] is None else scene["rating100"] / 10
        assert item.user_rating == expected_rating
        date = scene["date"] or ""
        expected_date = (date + "-01-01")[:10] if len(date) == 4 else (date + "-01")[:10] if len(date) == 7 else date
        assert (item.originally_available_at or "") == expected_date
        assert {"title", "summary", "genre", "actor"} <= set(item.locked) or not scene["title"]


# A detached drainer lingers this long for late hooks (3 s in production); the tests need not sit it out.
IDLE_GRACE_S = "1.0"
# A task waits this long for Plex to come back before handing over to a background drainer (60 s in production).
TASK_OUTAGE_S = "3"


@pytest.fixture
def make_env(tmp_path, make_stash_sim, make_plex_sim) -> Callable[..., Env]:
    """Builds environments; after the test, every one is swept for secrets (`assert_no_secret_anywhere`)."""
    made: list[Env] = []

    def make(scenes: int = 40, seed: int = 1, configure: bool = True, stash_kwargs: dict | None = None,
             plex_kwargs: dict | None = None, **settings: Any) -> Env:
        plugins = tmp_path / "plugins"
        install(plugins / PLUGIN_ID)
        data_dir = tmp_path / "data"
        plex = make_plex_sim(scenes=scenes, seed=seed, **(plex_kwargs or {}))
        stash = make_stash_sim(scenes=scenes, seed=seed, plugins_dir=plugins,
                               env={"STASH2PLEX_DATA_DIR": str(data_dir), "STASH2PLEX_IDLE_GRACE_S": IDLE_GRACE_S,
                                    "STASH2PLEX_TASK_OUTAGE_S": TASK_OUTAGE_S},
                               **(stash_kwargs or {}))
        env = Env(stash, plex, data_dir)
        made.append(env)
        if configure:
            env.configure(**settings)
        return env

    yield make
    for env in made:
        stop_plugin_processes(env)
        assert_no_secret_anywhere(env)


def stop_plugin_processes(env: Env) -> None:
    """A detached drainer outlives the test that started it (one waiting out a Plex that is gone would wait for
    hours): SIGTERM asks it to stop after its batch, as a real shutdown would; SIGKILL if it does not."""
    from bench.rss import plugin_pids

    marker = str(env.stash.host.plugins["Stash2Plex"].dir) if "Stash2Plex" in env.stash.host.plugins else None
    if marker is None:
        return
    for sig, wait_s in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
        pids = plugin_pids(marker)
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid), sig)
        deadline = time.monotonic() + wait_s
        while plugin_pids(marker) and time.monotonic() < deadline:
            time.sleep(0.05)


def assert_no_secret_anywhere(env: Env) -> None:
    """The Plex token, Stash's API key and every session value Stash issued appear in no plugin run's stdout,
    log line (its stderr), output or error, no Stash log line, and no file the plugin wrote (its log, its
    database with WAL, so no queue row and no dead letter)."""
    secrets = [env.plex.token, env.stash.auth.api_key, *env.stash.auth.issued_sessions()]
    secrets = [s for s in secrets if s and len(s) >= 6]
    texts = [text for run in env.stash.runs
             for text in (run.stdout, str(run.output), str(run.error), *(m for _, m in run.logs))]
    texts += [message for _, message in env.stash.log]
    files = [p for p in env.data_dir.rglob("*") if p.is_file()] if env.data_dir.exists() else []
    for secret in secrets:
        assert not [t for t in texts if secret in t], "a secret reached Stash's log or a run's output"
        for path in files:
            assert secret.encode() not in path.read_bytes(), f"a secret was written to {path.name}"
