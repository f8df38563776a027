"""A hook process must stay light: Stash holds the user's Save until it exits (DESIGN.md: median ≤ 50 ms).

Each test runs the real entry point's main() in a fresh interpreter, with a drainer lease held so no drainer is
spawned, and then lists which heavy modules ended up in sys.modules. Counting modules, not milliseconds, keeps the
test deterministic on a noisy machine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sync_queue import Store
from tests.light_process import heavy

pytestmark = pytest.mark.e2e  # fresh interpreters, as Stash starts hooks

REPO = Path(__file__).resolve().parents[2]
COOKIE = "s3ss10n-c00kie/value"

_CHILD = """
import importlib, json, sys
for name in sys.argv[3:]:
    importlib.import_module(name)
sys.path.insert(0, sys.argv[1])
import Stash2Plex
code = Stash2Plex.main()
with open(sys.argv[2], "w") as report:
    json.dump({"code": code, "modules": sorted(sys.modules)}, report)
"""


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A migrated database whose drainer lease is held by a live holder, as while a drain runs."""
    data = tmp_path / "data"
    with Store(data / "stash2plex.sqlite3") as store:
        assert store.lease.acquire("test-holder", 3600.0, time.time())
    return data


def _stdin(hook_type: str, hook_id: int, fields: list) -> str:
    return json.dumps({
        "server_connection": {"Scheme": "http", "Host": "0.0.0.0", "Port": 9, "Dir": "", "PluginDir": "",
                              "SessionCookie": {"Name": "session", "Value": COOKIE}},
        "args": {"hookContext": {"id": hook_id, "type": hook_type, "input": {}, "inputFields": fields}},
    })


def _run_hook(data: Path, stdin: str, preload: str = "") -> tuple:
    report = data.parent / "report.json"
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "STASH2PLEX_DATA_DIR": str(data),
           "HOME": str(data.parent)}
    command = [sys.executable, "-c", _CHILD, str(REPO), str(report), *preload.split()]
    result = subprocess.run(command, input=stdin, env=env,
                            capture_output=True, text=True, timeout=60, cwd=str(data.parent))
    assert result.returncode == 0, result.stderr
    loaded = json.loads(report.read_text())
    assert loaded["code"] == 0
    return json.loads(result.stdout), loaded["modules"], result.stderr


def test_scene_edit_hook_queues_without_heavy_imports(data_dir: Path) -> None:
    out, modules, stderr = _run_hook(data_dir, _stdin("Scene.Update.Post", 7, ["id", "title"]))
    assert out == {"output": "scene 7 queued for Plex", "error": None}
    assert heavy(modules) == []
    assert stderr == ""
    with Store(data_dir / "stash2plex.sqlite3") as store:
        assert store.scenes.status_counts() == {"queued": 1} and store.queue.pending_count() == 1


def test_filtered_and_entity_hooks_stay_light_too(data_dir: Path) -> None:
    out, modules, _ = _run_hook(data_dir, _stdin("Scene.Update.Post", 7, ["id", "play_count"]))
    assert out["output"] == "scene 7: no field Plex shows was changed"
    assert heavy(modules) == []
    out, modules, _ = _run_hook(data_dir, _stdin("Tag.Update.Post", 3, ["id", "name"]))
    assert out["output"] == "scenes of tag 3 will be queued for Plex"
    assert heavy(modules) == []


def test_the_check_sees_a_heavy_import(data_dir: Path) -> None:
    """Guards the guard: the same hook, in an interpreter that loaded typing first, is reported as heavy."""
    out, modules, _ = _run_hook(data_dir, _stdin("Scene.Update.Post", 7, ["id", "title"]), preload="typing")
    assert out["output"] == "scene 7 queued for Plex"
    assert "typing" in heavy(modules)


def test_a_hook_that_starts_a_drainer_stays_light(tmp_path: Path) -> None:
    """No lease held: the hook starts a drainer (posix_spawn, not subprocess). The drainer finds no Stash at the
    address given and leaves."""
    out, modules, _ = _run_hook(tmp_path / "data", _stdin("Scene.Update.Post", 7, ["id", "title"]))
    assert out["output"] == "scene 7 queued for Plex"
    assert heavy(modules) == []


def test_a_hook_that_logs_stays_light(data_dir: Path) -> None:
    out, modules, stderr = _run_hook(data_dir, _stdin("Scene.Update.Post", None, []))
    assert out["output"] == "nothing to sync" and "hook without an id" in stderr
    assert heavy(modules) == []
