"""Fixtures for store tests: every test gets its own real SQLite file under tmp_path."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import List

import pytest

from sync_queue import Store

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "stash2plex.sqlite3"


@pytest.fixture
def store(db_path: Path):
    opened = Store(db_path)
    yield opened
    opened.close()


@pytest.fixture
def conn(store: Store):
    """The store's own connection, for tests that inspect rows directly."""
    return store._conn


def state_of(store: Store, scene_id: int):
    return store.scenes.get_many([scene_id]).get(scene_id)


def spawn_python(code: str, *args: str, isolated: bool = False) -> subprocess.Popen:
    """A fresh interpreter running `code` with the repo importable (a real process, like a hook).

    isolated=True skips site-packages, as a hook must not need them for enqueueing.
    """
    prefix = f"import sys; sys.path.insert(0, {str(REPO_ROOT)!r})\n"
    command: List[str] = [sys.executable] + (["-S"] if isolated else []) + ["-c", prefix + code, *args]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=str(REPO_ROOT))


def finish(process: subprocess.Popen, timeout: float = 120) -> str:
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, f"child failed ({process.returncode}): {err}"
    assert err == "", f"child wrote to stderr: {err}"
    return out
