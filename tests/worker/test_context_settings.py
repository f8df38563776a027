"""Opening a context carries saved settings over to this version's keys once, with configurePlugin, and writes
the defaults Stash cannot show (against the Stash simulator, which stores the map as Stash's config does)."""

from __future__ import annotations

import pytest

from plugin import log
from plugin.io import PluginInput, StashServer
from plugin.setting_keys import KEYS
from worker.context import open_context

pytestmark = pytest.mark.e2e  # the Stash simulator runs as a server


def _open(sim, tmp_path, monkeypatch) -> list[str]:
    lines: list[str] = []
    monkeypatch.setattr(log, "info", lines.append)
    server = StashServer("http", "127.0.0.1", sim.port, plugin_dir=str(tmp_path))
    open_context(PluginInput(server, {}, None, "queue_status")).close()
    return lines


def test_old_keys_move_once_and_the_users_values_stay(make_stash_sim, tmp_path, monkeypatch) -> None:
    sim = make_stash_sim(scenes=1)
    sim.configure_plugin("Stash2Plex", {"plex_url": "http://plex:32400", "sync_tags": False, "max_tags": 50,
                                        "read_timeout": 45, "reconcile_interval": "weekly"})
    first = _open(sim, tmp_path, monkeypatch)
    saved = sim.graphql('query { configuration { plugins(include: ["Stash2Plex"]) } }')[
        "configuration"]["plugins"]["Stash2Plex"]
    assert saved[KEYS["plex_url"]] == "http://plex:32400" and saved[KEYS["sync_tags"]] is False
    assert saved[KEYS["plex_read_timeout"]] == 45 and saved[KEYS["reconcile_interval"]] == 10080
    assert saved[KEYS["sync_poster"]] is True and saved["max_tags"] == 50  # a default written; the other's kept
    assert not {"plex_url", "sync_tags", "read_timeout", "reconcile_interval"} & set(saved)
    assert any(line.startswith("Moved 4 saved settings") for line in first)
    assert any(line.startswith("Settings kept from the other Stash2Plex plugin: max_tags") for line in first)
    assert _open(sim, tmp_path, monkeypatch) == []  # nothing moved or written a second time
    assert sim.graphql('query { configuration { plugins(include: ["Stash2Plex"]) } }')[
        "configuration"]["plugins"]["Stash2Plex"] == saved
