"""Copies exactly the plugin's files into a Stash plugins folder, or zips them for a plugin index.

Stash parses every .yml under its plugins folder as a manifest, so a plugin folder must hold our
manifest and code only: no virtualenv, no tests, no simulators. Runtime files the plugin creates
(the data/ folder with the queue database) are left alone on upgrade.

    python package_plugin.py --into ~/.stash/plugins/Stash2Plex
    python package_plugin.py --zip Stash2Plex.zip
"""

from __future__ import annotations

import argparse
import shutil
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent
PLUGIN_FILES = ("Stash2Plex.py", "Stash2Plex.yml", "requirements.txt", "README.md")
PLUGIN_PACKAGES = ("plugin", "hooks", "store", "worker", "plex", "stash", "reconciliation", "tasks")


def plugin_paths() -> list[Path]:
    """Every file that belongs in an installed plugin, relative to the repository root."""
    paths = [Path(name) for name in PLUGIN_FILES]
    for package in PLUGIN_PACKAGES:
        paths += sorted(p.relative_to(ROOT) for p in (ROOT / package).rglob("*.py"))
    return paths


def install(dest: Path) -> Path:
    """Copies the plugin into dest (created if needed) and returns it."""
    dest.mkdir(parents=True, exist_ok=True)
    for rel in plugin_paths():
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, target)
    return dest


def build_zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for rel in plugin_paths():
            archive.write(ROOT / rel, rel.as_posix())
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--into", type=Path, help="a folder inside Stash's plugins folder")
    target.add_argument("--zip", type=Path, help="a zip file to publish")
    args = parser.parse_args()
    print(install(args.into) if args.into else build_zip(args.zip))


if __name__ == "__main__":
    main()
