"""The Scenes Not in Plex task: every scene Plex lacks or holds ambiguously, with its path and why, in the task log;
and, with tag_not_in_plex, the same scenes marked with a tag in Stash (`stash.tagging`).
"""

from __future__ import annotations

from collections import Counter

from mapping.matcher import MATCHED, NOT_FOUND
from mapping.scope import scope_rule
from plugin import log
from stash import tagging
from stash.client import walk_scenes
from stash.scene import NOT_IN_PLEX_TAG, to_metadata
from worker.context import Context


def scenes_not_in_plex(ctx: Context) -> str:
    """Walks every scene against the stored index (no Plex request per scene); out-of-scope scenes are not listed.
    With tag_not_in_plex the tag follows the walk: added to the scenes listed, taken off the others."""
    library = ctx.library()
    counts: Counter = Counter()
    listed: list[int] = []
    looked: list[int] = []
    for page in walk_scenes(ctx.stash, log.progress):
        for scene in map(to_metadata, page.scenes):
            looked.append(scene.scene_id)
            if scope_rule(ctx.settings, scene) is not None:
                counts["out of scope"] += 1
                continue
            found = library.match(scene)
            if found.status == MATCHED:
                counts["in Plex"] += 1
                continue
            what = "not in Plex" if found.status == NOT_FOUND else "ambiguous"
            counts[what] += 1
            listed.append(scene.scene_id)
            paths = ", ".join(f.path for f in scene.files) or "no file"
            log.info(f"{what}: scene {scene.scene_id} {paths}: {found.detail or 'no Plex item holds this file'}")
    summary = ", ".join(f"{n} {what}" for what, n in sorted(counts.items()))
    marks = ""
    if ctx.settings.tag_not_in_plex:
        tagged, untagged = tagging.mark(ctx.stash, listed, looked)
        marks = f"; tag {NOT_IN_PLEX_TAG!r} added to {tagged} scenes, taken off {untagged}"
    return f"Scenes not in Plex: {summary or 'no scenes'}{marks}"
