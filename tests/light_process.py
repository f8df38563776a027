"""What a hook or an operation process must not load: each is several milliseconds of import, or a sign that it
does a drainer's or a task's work (DESIGN.md: Stash holds the user's Save until a hook exits)."""

from __future__ import annotations

FORBIDDEN = (
    "logging", "dataclasses", "typing", "inspect", "ast", "subprocess", "requests", "plexapi", "persistqueue",
    "stashapi", "urllib3", "asyncio", "pathlib", "threading", "socket", "urllib", "random", "contextlib",
)


def heavy(modules: list[str]) -> list[str]:
    """The forbidden ones among loaded module names (submodules count as their package)."""
    return [m for m in modules if m.split(".")[0] in FORBIDDEN]
