"""Where runtime files live: inside the plugin folder, which Stash's package manager keeps across upgrades.

STASH2PLEX_DATA_DIR overrides it for read-only plugin folders and for tests that run many instances side by side.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Union

ENV_DATA_DIR = "STASH2PLEX_DATA_DIR"
DB_NAME = "stash2plex.sqlite3"
DRAINER_LOG_NAME = "drainer.log"

# The plugin folder is the parent of this package; used when Stash sent no PluginDir.
_PACKAGE_ROOT = Path(__file__).resolve().parents[1]


def data_dir(plugin_dir: Union[str, Path, None]) -> Path:
    """The directory for the queue database and logs, created if missing."""
    override = os.environ.get(ENV_DATA_DIR, "").strip()
    path = Path(override) if override else Path(plugin_dir or _PACKAGE_ROOT) / "data"
    path.mkdir(parents=True, exist_ok=True)
    return path


def db_path(data_dir: Union[str, Path]) -> Path:
    return Path(data_dir) / DB_NAME


def drainer_log_path(data_dir: Union[str, Path]) -> Path:
    return Path(data_dir) / DRAINER_LOG_NAME
