"""Third-party data kept beside the repository in `../shared` (never copied into it): the real Stash GraphQL schema
of every supported version and recorded Plex answers. Simulators use it to refuse what the real servers refuse;
tests that need it skip with this module's reason when it is absent (and fail when STASH2PLEX_REQUIRE_SHARED=1,
as CI sets, so a missing copy cannot pass unnoticed).
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared"
# Stash versions the plugin supports, oldest first, and where each one's schema copy lives under SHARED.
STASH_SCHEMAS = {
    "v0.24.0": "stash-schema-versions/v0.24.0",
    "v0.25.0": "stash-schema-versions/v0.25.0",
    "v0.27.0": "stash-schema-versions/v0.27.0",
    "v0.30.1": "stash-schema",
    "develop": "stash-schema-versions/develop-2026-01-11",
}
OLDEST, LATEST_RELEASE = "v0.24.0", "v0.30.1"
PLEX_FIXTURES = SHARED / "plex-fixtures"


class SharedDataMissing(FileNotFoundError):
    """The copy in ../shared is not there; the message says which and why it is not in the repository."""


def required() -> bool:
    return os.environ.get("STASH2PLEX_REQUIRE_SHARED", "") == "1"


@cache
def stash_schema_sdl(version: str) -> str:
    """The real schema of a Stash version, all its .graphql files joined."""
    if version not in STASH_SCHEMAS:
        raise ValueError(f"unknown Stash version {version!r}; known: {', '.join(STASH_SCHEMAS)}")
    folder = SHARED / STASH_SCHEMAS[version]
    files = sorted(folder.rglob("*.graphql")) if folder.is_dir() else []
    if not files:
        raise SharedDataMissing(f"Stash {version} schema copy not found under {folder} (third-party data, kept "
                                "in ../shared, not in the repository)")
    return "\n".join(f.read_text(encoding="utf-8") for f in files)


def plex_fixture(name: str) -> Path:
    path = PLEX_FIXTURES / name
    if not path.is_file():
        raise SharedDataMissing(f"recorded Plex answer {name} not found under {PLEX_FIXTURES} (third-party data, "
                                "kept in ../shared, not in the repository)")
    return path
