"""Publishing (issue 22): the workflow file is valid YAML, publishes on a version tag, and its build step runs
here as CI would; the LICENSE is the AGPL's text and ships in the zip; the changelog names the manifest's version."""

from __future__ import annotations

import hashlib
import re
import shlex
import subprocess
import sys
import zipfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _workflow() -> dict:
    return yaml.safe_load((ROOT / ".github" / "workflows" / "publish.yml").read_text(encoding="utf-8"))


def test_the_workflow_publishes_on_version_tags_what_its_build_step_makes() -> None:
    flow = _workflow()
    trigger = flow.get("on", flow.get(True))  # PyYAML reads the bare key `on` as YAML 1.1's true
    assert trigger == {"push": {"tags": ["v*"]}}
    steps = flow["jobs"]["publish"]["steps"]
    build = [s["run"] for s in steps if "package_plugin.py" in s.get("run", "")]
    assert build == ["python3 package_plugin.py --index site"]
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-pages-artifact"))
    assert upload["with"]["path"] == shlex.split(build[0])[-1]
    assert any(s.get("uses", "").startswith("actions/deploy-pages") for s in steps)


def test_the_build_step_runs_and_makes_an_index_of_this_version(tmp_path) -> None:
    command = shlex.split(_workflow()["jobs"]["publish"]["steps"][2]["run"])
    assert command[:2] == ["python3", "package_plugin.py"]
    subprocess.run([sys.executable, str(ROOT / command[1]), *command[2:]], cwd=tmp_path, check=True, timeout=120,
                   capture_output=True)
    site = tmp_path / command[-1]
    (entry,) = yaml.safe_load((site / "index.yml").read_text(encoding="utf-8"))
    version = re.search(r"^version:\s*(\S+)", (ROOT / "Stash2Plex.yml").read_text(encoding="utf-8"), re.M)[1]
    assert entry["version"] == version and entry["id"] == "Stash2Plex"
    archive = site / entry["path"]
    assert hashlib.sha256(archive.read_bytes()).hexdigest() == entry["sha256"]
    with zipfile.ZipFile(archive) as zipped:
        assert {"Stash2Plex.yml", "LICENSE", "README.md"} <= set(zipped.namelist())


def test_license_and_changelog() -> None:
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.split("\n", 2)[:2] == ["                    GNU AFFERO GENERAL PUBLIC LICENSE",
                                       "                       Version 3, 19 November 2007"]
    # The FSF's text, as the django-agpl 4.0.0 sdist ships it.
    assert hashlib.md5(text.encode()).hexdigest() == "73f1eb20517c55bf9493b7dd6e480788"
    version = re.search(r"^version:\s*(\S+)", (ROOT / "Stash2Plex.yml").read_text(encoding="utf-8"), re.M)[1]
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"## [{version}] - " in changelog and "## [Unreleased]" in changelog
