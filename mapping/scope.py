"""Which scenes the user's scope settings leave out of Plex (only organized, skip tags, require a StashID).

Out of scope, a scene's Plex items are left exactly as they are: no request is sent for them.
"""

from __future__ import annotations

from typing import Optional

from plugin.settings import Settings
from stash.scene import SceneMetadata


def scope_rule(settings: Settings, scene: SceneMetadata) -> Optional[str]:
    """Which of the user's scope settings leaves the scene out ("not organized", "skip tag <name>",
    "no StashID"), or None. Out of scope, a scene's Plex items are left as they are and receive no request."""
    if settings.only_organized and not scene.organized:
        return "not organized"
    skipped = {name.casefold() for name in settings.skip_tags}
    tag = next((t for t in scene.tags if t.casefold() in skipped), None)
    if tag is not None:
        return f"skip tag {tag}"
    if settings.require_stash_id and not scene.has_stash_id:
        return "no StashID"
    return None


def scope_group(rule: Optional[str]) -> str:
    """The setting behind a scope rule, for counts ("skip tag Private" -> "skip tags")."""
    return "skip tags" if (rule or "").startswith("skip tag ") else rule or "?"
