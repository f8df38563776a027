"""Installing the Stash way (issue 10): from a plugin source into a clean plugins folder, run by a Python that has
only what Stash's official image has, with settings that show their real state."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest
import yaml

from package_plugin import build_index
from plugin.setting_keys import KEYS
from simulators import dataset

pytestmark = pytest.mark.e2e  # real processes, a fresh interpreter, packages from the package index


def _fresh_python(where: Path, with_pip: bool) -> Path:
    """A new interpreter with requests alone (the official image has requests; stashapp-tools is not needed)."""
    venv.EnvBuilder(with_pip=True).create(where)
    python = where / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    "requests==2.34.2"], check=True, timeout=600)
    if not with_pip:
        subprocess.run([str(python), "-m", "pip", "uninstall", "--quiet", "-y", "pip"], check=True, timeout=120)
    return python


def _install_from_source(site: Path, plugins: Path) -> Path:
    (entry,) = yaml.safe_load((site / "index.yml").read_text())
    archive = site / entry["path"]
    assert hashlib.sha256(archive.read_bytes()).hexdigest() == entry["sha256"]
    target = plugins / entry["id"]  # as Stash unpacks a package: plugins/<source path>/<id>/
    with zipfile.ZipFile(archive) as zipped:
        zipped.extractall(target)
    return target


def _site_packages_of(python: Path) -> str:
    return subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()


def test_installed_from_the_index_it_installs_its_packages_into_its_own_folder_and_syncs(tmp_path, make_stash_sim,
                                                                                           make_plex_sim):
    python = _fresh_python(tmp_path / "stash-python", with_pip=True)
    plugin_dir = _install_from_source(build_index(tmp_path / "site").parent, tmp_path / "plugins")
    plex = make_plex_sim(scenes=20)
    stash = make_stash_sim(scenes=20, plugins_dir=tmp_path / "plugins", python=str(python))
    stash.configure_plugin("Stash2Plex", {"plex_url": plex.url, "plex_token": plex.token, "sync_poster": False})

    first = stash.run_task("Stash2Plex", "Sync All Scenes to Plex", timeout=600)
    assert first.error is None, first.logs[-5:]
    folder = plugin_dir / "data" / f"python{sys.version_info[0]}.{sys.version_info[1]}-packages"
    assert (folder / "plexapi").is_dir() and (folder / "persistqueue").is_dir()
    assert "plexapi" not in subprocess.run([str(python), "-m", "pip", "list"], capture_output=True,
                                           text=True).stdout  # nothing went into the interpreter itself
    assert any("Installing Stash2Plex's Python packages" in m for _, m in first.logs)
    in_plex = next(i for i in range(1, 21) if dataset.in_plex(str(i)))
    scene = stash.graphql("query($id: ID) { findScene(id: $id) { title files { path } } }", {"id": str(in_plex)})
    assert plex.item_for_stash_path(scene["findScene"]["files"][0]["path"]).title == scene["findScene"]["title"]

    second = stash.run_task("Stash2Plex", "Queue Status")
    assert second.error is None and not any("Installing" in m for _, m in second.logs)

    settings = stash.graphql('query { configuration { plugins(include: ["Stash2Plex"]) } }')
    saved = settings["configuration"]["plugins"]["Stash2Plex"]
    assert saved[KEYS["sync_poster"]] is False and "sync_poster" not in saved  # the user's value, carried over
    assert saved[KEYS["strict_matching"]] is True and saved[KEYS["enabled"]] is True
    assert saved[KEYS["reconcile_interval"]] == 60
    assert not any("Saved the defaults" in m for _, m in second.logs)  # written once


def test_without_pip_the_error_names_the_command(tmp_path, make_stash_sim, make_plex_sim):
    python = _fresh_python(tmp_path / "stash-python", with_pip=False)
    _install_from_source(build_index(tmp_path / "site").parent, tmp_path / "plugins")
    plex = make_plex_sim(scenes=5)
    stash = make_stash_sim(scenes=5, plugins_dir=tmp_path / "plugins", python=str(python))
    stash.configure_plugin("Stash2Plex", {"plex_url": plex.url, "plex_token": plex.token})
    run = stash.run_task("Stash2Plex", "Health Check", timeout=300)
    assert run.exit_code == 1
    assert "could not be installed" in run.error and f"{python} -m pip install" in run.error
    assert "--target" in run.error and "requirements.txt" in run.error
