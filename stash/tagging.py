"""The Stash tag that marks scenes not in Plex (setting tag_not_in_plex), so a person can filter them in Stash.

The tag is this plugin's alone: scenes carry it exactly while their last look found them not in Plex or
ambiguous, and its name is left out of the tags synced to Plex (`stash.scene.to_metadata`). Adding or removing it
is a `bulkSceneUpdate`, which fires Scene.Update.Post for each scene changed: only scenes whose mark changes are
sent, so the queued re-syncs find nothing to push and the marks settle.
"""

from __future__ import annotations

from typing import Iterable, Optional

from plugin import log
from plugin.errors import PluginError
from stash import queries
from stash.client import StashSource
from stash.scene import NOT_IN_PLEX_TAG
from sync_queue import Store
from sync_queue.vocab import ErrorClass, SceneStatus

CHUNK = 500  # scene ids per bulkSceneUpdate


def tag_id(stash: StashSource, create: bool) -> Optional[int]:
    """The tag's id; created when missing and `create` (else None)."""
    found = stash.query(queries.FIND_TAG_BY_NAME, {"name": NOT_IN_PLEX_TAG})["findTags"]["tags"]
    exact = [t for t in found if t["name"] == NOT_IN_PLEX_TAG] or found
    if exact:
        return int(exact[0]["id"])
    if not create:
        return None
    return int(stash.query(queries.CREATE_TAG, {"name": NOT_IN_PLEX_TAG})["tagCreate"]["id"])


def mark(stash: StashSource, not_in_plex: Iterable[int], looked_at: Iterable[int]) -> tuple[int, int]:
    """Makes the tag sit on exactly the `not_in_plex` scenes among `looked_at` (other scenes keep theirs: they
    were not looked at). Returns (tagged, untagged) counts."""
    wanted, looked = set(not_in_plex), set(looked_at)
    tag = tag_id(stash, create=bool(wanted))
    if tag is None:
        return 0, 0
    has = set(stash.scene_ids_for("tag", tag)) & looked
    add, remove = sorted(wanted - has), sorted(has - wanted)
    for ids, mode in ((add, "ADD"), (remove, "REMOVE")):
        for start in range(0, len(ids), CHUNK):
            stash.query(queries.TAG_SCENES, {"ids": [str(i) for i in ids[start:start + CHUNK]], "tag": [str(tag)],
                                             "mode": mode})
    return len(add), len(remove)


def mark_from_store(stash: StashSource, store: Store) -> None:
    """The tag on exactly the scenes whose stored state says not in Plex (not found, a not-found retry waiting,
    or ambiguous), after a drain (so a scene Plex now has loses it without waiting for the task); a scene still
    queued keeps its mark until it is looked at. A failure is logged: the next drain tries again."""
    states = [s for s in store.scenes.iter_all() if s.status != SceneStatus.QUEUED]
    missing = [s.scene_id for s in states if s.status in (SceneStatus.NOT_FOUND, SceneStatus.AMBIGUOUS)
               or (s.status == SceneStatus.RETRYING and s.error_class == ErrorClass.NOT_FOUND)]
    try:
        tagged, untagged = mark(stash, missing, [s.scene_id for s in states])
    except PluginError as exc:
        log.warning(f"The tag {NOT_IN_PLEX_TAG!r} was not updated: {exc.message}")
        return
    if tagged or untagged:
        log.info(f"Tag {NOT_IN_PLEX_TAG!r} added to {tagged} scenes, taken off {untagged}")
