"""Packages the plugin the Stash way: a plugin source (index.yml + zip) for Settings › Plugins › Available Plugins,
or a copy into a plugins folder for development.

Stash parses every .yml under its plugins folder as a manifest, so a package holds the manifest and code only: no
virtualenv, no tests, no simulators. Stash removes only the files a package listed when it upgrades or uninstalls,
so the data/ folder (queue database, sync state, installed dependencies) survives upgrades.

    python3 package_plugin.py --index site            # site/index.yml + site/Stash2Plex.zip (a plugin source)
    python3 package_plugin.py --into ~/.stash/plugins/Stash2Plex

The zip is byte-for-byte reproducible from the same sources: entries sorted, fixed timestamps and permissions.
The index date is the last commit's (SOURCE_DATE_EPOCH overrides it), so the same sources give the same index.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import time
import zipfile
from pathlib import Path

from plugin.paths import PLUGIN_FILES, PLUGIN_PACKAGES

ROOT = Path(__file__).resolve().parent
PLUGIN_ID = "Stash2Plex"
DESCRIPTION = ("Keeps your Plex library in step with Stash: every edit reaches the matching Plex item within "
               "seconds, exactly and without touching the Plex side's setup.")
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def plugin_paths() -> list[Path]:
    """Every file that belongs in an installed plugin, relative to the repository root, sorted."""
    paths = [Path(name) for name in PLUGIN_FILES]
    for package in PLUGIN_PACKAGES:
        paths += sorted(p.relative_to(ROOT) for p in (ROOT / package).rglob("*.py"))
    return sorted(paths, key=lambda p: p.as_posix())


def install(dest: Path) -> Path:
    """Copies the plugin into dest (created if needed) and returns it."""
    dest.mkdir(parents=True, exist_ok=True)
    for rel in plugin_paths():
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, target)
    return dest


def build_zip(path: Path) -> Path:
    """The plugin's files under the zip's root, as Stash unpacks them into plugins/<source path>/<id>/."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for rel in plugin_paths():
            entry = zipfile.ZipInfo(rel.as_posix(), _ZIP_TIME)
            entry.external_attr = 0o644 << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, (ROOT / rel).read_bytes())
    return path


def manifest_version() -> str:
    found = re.search(r"^version:\s*(\S+)", (ROOT / f"{PLUGIN_ID}.yml").read_text(encoding="utf-8"), re.M)
    if not found:
        raise SystemExit(f"{PLUGIN_ID}.yml has no version")
    return found.group(1)


def source_date() -> int:
    """Seconds since the epoch: SOURCE_DATE_EPOCH, else the last commit's time (reproducible either way)."""
    if os.environ.get("SOURCE_DATE_EPOCH"):
        return int(os.environ["SOURCE_DATE_EPOCH"])
    try:
        out = subprocess.run(["git", "log", "-1", "--format=%ct"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.strip()
        return int(out)
    except (OSError, subprocess.CalledProcessError, ValueError):
        raise SystemExit("no git history here: set SOURCE_DATE_EPOCH to date the package") from None


def build_index(out: Path) -> Path:
    """out/index.yml (a YAML list, one entry for this plugin) and the zip it names; returns the index path.

    Stash offers an upgrade only when an entry's date is newer than the installed one (pkg/pkg/pkg.go)."""
    out.mkdir(parents=True, exist_ok=True)
    zip_name = f"{PLUGIN_ID}.zip"
    digest = hashlib.sha256(build_zip(out / zip_name).read_bytes()).hexdigest()
    date = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(source_date()))
    index = out / "index.yml"
    index.write_text(
        f"- id: {PLUGIN_ID}\n"
        f"  name: {PLUGIN_ID}\n"
        f"  metadata:\n"
        f"    description: {json.dumps(DESCRIPTION)}\n"
        f"  version: {manifest_version()}\n"
        f'  date: "{date}"\n'
        f"  path: {zip_name}\n"
        f"  sha256: {digest}\n",
        encoding="utf-8",
    )
    return index


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--index", type=Path, help="a folder to publish as a plugin source (index.yml + zip)")
    target.add_argument("--into", type=Path, help="a folder inside Stash's plugins folder")
    target.add_argument("--zip", type=Path, help="the zip alone")
    args = parser.parse_args()
    if args.index:
        print(build_index(args.index))
    else:
        print(install(args.into) if args.into else build_zip(args.zip))


if __name__ == "__main__":
    main()
