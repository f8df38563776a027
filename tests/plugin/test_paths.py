"""Data directory: the env override wins, else <plugin_dir>/data; always created."""

from __future__ import annotations

from pathlib import Path

import pytest

from plugin import paths


def test_data_dir_under_plugin_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(paths.ENV_DATA_DIR, raising=False)
    data = paths.data_dir(str(tmp_path / "Stash2Plex"))
    assert Path(data) == tmp_path / "Stash2Plex" / "data"
    assert Path(data).is_dir()
    assert Path(paths.db_path(data)) == Path(data) / "stash2plex.sqlite3"
    assert Path(paths.drainer_log_path(data)) == Path(data) / "drainer.log"
    # A Path argument works too (paths are returned as str, which every caller accepts).
    assert paths.db_path(Path(data)) == paths.db_path(data)


def test_env_override_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(paths.ENV_DATA_DIR, str(tmp_path / "elsewhere"))
    assert Path(paths.data_dir(str(tmp_path / "plugin"))) == tmp_path / "elsewhere"
    assert (tmp_path / "elsewhere").is_dir()
    assert not (tmp_path / "plugin").exists()


def test_missing_plugin_dir_falls_back_to_the_package_folder(monkeypatch: pytest.MonkeyPatch,
                                                            tmp_path: Path) -> None:
    monkeypatch.delenv(paths.ENV_DATA_DIR, raising=False)
    monkeypatch.setattr(paths, "_PACKAGE_ROOT", str(tmp_path))
    assert Path(paths.data_dir("")) == tmp_path / "data"


def test_foreign_files_are_what_the_package_did_not_ship(tmp_path) -> None:
    from package_plugin import install
    from plugin.paths import foreign_files

    folder = install(tmp_path / "Stash2Plex")
    assert foreign_files(str(folder)) == []
    for leftover in ("Stash2Plex_old.py", "worker/legacy_only.py", "validation/config.py", "data/queue/x.db",
                     "plex/__pycache__/a.pyc"):
        (folder / leftover).parent.mkdir(parents=True, exist_ok=True)
        (folder / leftover).write_text("x")
    assert foreign_files(str(folder)) == ["Stash2Plex_old.py", "validation/config.py"]
