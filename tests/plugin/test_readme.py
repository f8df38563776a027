"""The README's settings reference is the manifest's, with the defaults the code applies."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from plugin.setting_keys import ATTRIBUTES, KEYS
from plugin.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def _readme_rows() -> dict[str, str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    table = text.split("<!-- settings reference", 1)[1].split("\n\n", 1)[0]
    return {m.group(1): m.group(2).strip() for m in re.finditer(r"^\| `(\w+)` \| ([^|]+) \|", table, re.M)}


def test_every_manifest_setting_is_documented_and_nothing_else() -> None:
    manifest = yaml.safe_load((ROOT / "Stash2Plex.yml").read_text(encoding="utf-8"))
    documented = {ATTRIBUTES[key] for key in manifest["settings"]}
    assert set(_readme_rows()) == documented == set(Settings.__dataclass_fields__)
    assert list(_readme_rows()) == [name for name in KEYS if name in documented]  # as Stash lists them


def test_documented_defaults_are_the_codes() -> None:
    defaults = Settings()
    for name, shown in _readme_rows().items():
        value = getattr(defaults, name)
        if isinstance(value, bool):
            assert shown == ("on" if value else "off"), name
        elif name == "reconcile_interval":
            assert shown == str(value // 60), name
        elif isinstance(value, (int, float)):
            assert shown == f"{value:g}", name
        elif isinstance(value, str):
            assert shown == (value or "—"), name
