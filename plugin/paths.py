"""Where runtime files live: inside the plugin folder, which Stash's package manager keeps across upgrades.

STASH2PLEX_DATA_DIR overrides it for read-only plugin folders and for tests that run many instances side by side.
Paths are plain strings built with os.path: every caller passes them to open/sqlite3/os functions, and
importing pathlib would cost each hook ~6 ms.
"""

from __future__ import annotations

import os

ENV_DATA_DIR = "STASH2PLEX_DATA_DIR"
DB_NAME = "stash2plex.sqlite3"
DRAINER_LOG_NAME = "drainer.log"

# What an installed plugin folder holds (package_plugin.py ships exactly this; Health Check lists anything else).
PLUGIN_FILES = ("Stash2Plex.py", "Stash2Plex.yml", "requirements.txt", "README.md", "LICENSE", "stash2plex-ui.js",
                "stash2plex-ui.css")
PLUGIN_PACKAGES = ("plugin", "hooks", "sync_queue", "worker", "plex", "mapping", "stash", "reconciliation", "watch",
                   "tasks")

# The plugin folder is the parent of this package; used when Stash sent no PluginDir.
_PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))


def data_dir(plugin_dir: str | os.PathLike[str] | None) -> str:
    """The directory for the queue database and logs, created if missing."""
    override = os.environ.get(ENV_DATA_DIR, "").strip()
    path = override if override else os.path.join(os.fspath(plugin_dir or _PACKAGE_ROOT), "data")
    os.makedirs(path, mode=0o700, exist_ok=True)  # the queue, the logs: readable by their owner only
    return path


def db_path(data_dir: str | os.PathLike[str]) -> str:
    return os.path.join(os.fspath(data_dir), DB_NAME)


def drainer_log_path(data_dir: str | os.PathLike[str]) -> str:
    return os.path.join(os.fspath(data_dir), DRAINER_LOG_NAME)


def foreign_files(root: str = _PACKAGE_ROOT) -> list[str]:
    """Files in the plugin folder that are not this plugin's (e.g. left by the other Stash2Plex plugin), relative,
    sorted; data/ and bytecode caches excluded. Left alone: only reported."""
    ours = set(PLUGIN_FILES)
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        top = rel_dir.split(os.sep)[0]
        if rel_dir == ".":
            dirnames[:] = [d for d in dirnames if d not in PLUGIN_PACKAGES and d != "data" and not d.startswith(".")]
        dirnames[:] = [d for d in dirnames if d != "__pycache__"]
        for name in filenames:
            rel = name if rel_dir == "." else os.path.join(rel_dir, name)
            if rel not in ours and top not in PLUGIN_PACKAGES and not name.startswith("."):
                found.append(rel.replace(os.sep, "/"))
    return sorted(found)
