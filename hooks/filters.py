"""Which hook firings change something Plex shows.

Stash fires Scene.Update.Post for URL and code edits too (and v0.24's deprecated `sceneUpdate(play_count)`);
those change nothing in Plex, and skipping them keeps bulk edits from flooding the queue. Plays, the O-counter
and the resume point have mutations of their own that fire no hook. A firing without
inputFields (a scan, or a scene created by a scan) may have changed the files, so it always counts.
"""

from __future__ import annotations

# SceneUpdateInput keys whose change reaches Plex: the synced fields, the cover, which file is primary, and what
# the scope settings look at (marking a scene organized or identifying it brings it into scope).
SCENE_FIELDS_PLEX_SHOWS = frozenset({
    "title", "details", "date", "rating100", "studio_id", "performer_ids", "tag_ids", "cover_image",
    "primary_file_id", "director", "organized", "stash_ids", "groups", "movies",
})

# A rename is the only change of a tag, studio or group that Plex shows (genre or label, studio, collection); a
# performer's new image is its actor photo too (with sync_actor_photos; without, its scenes are settled unchanged
# with no Plex request). A merge moves scenes onto the destination tag (the hook's id) without touching them.
# Groups: Stash v0.27+ fires Group.* and then, deprecated, Movie.* for the same edit (resolver_mutation_group.go
# 212-213, hook/hooks.go:29); before v0.27 only Movie.*. Both are subscribed; a Movie.* firing is dropped once this
# Stash has been seen firing Group.* (`hooks.handler`), so one edit counts once and a Stash that stops
# firing Movie.* loses nothing.
ENTITY_HOOKS = {"Performer.Update.Post": "performer", "Tag.Update.Post": "tag", "Studio.Update.Post": "studio",
                "Tag.Merge.Post": "tag", "Group.Update.Post": "group", "Movie.Update.Post": "group"}
# The input fields of each kind's edit that Plex shows.
ENTITY_FIELDS_PLEX_SHOWS = {"performer": frozenset({"name", "image"}), "tag": frozenset({"name"}),
                            "studio": frozenset({"name"}), "group": frozenset({"name"})}
# A deletion removes the entity's links from its scenes without a scene hook or a new updated_at, and the
# entity's scenes can no longer be asked for: only a full reconcile (content hashes) finds them.
DESTROY_HOOKS = ("Performer.Destroy.Post", "Tag.Destroy.Post", "Studio.Destroy.Post", "Group.Destroy.Post",
                 "Movie.Destroy.Post")


def scene_needs_sync(hook) -> bool:
    if not hook.input_fields:
        return True
    return bool(SCENE_FIELDS_PLEX_SHOWS.intersection(hook.input_fields))


def entity_kind(hook) -> str | None:
    """The entity kind when this firing changed what Plex shows of a performer, tag, studio or group, else None."""
    kind = ENTITY_HOOKS.get(hook.type)
    if kind is None or (hook.input_fields and not ENTITY_FIELDS_PLEX_SHOWS[kind].intersection(hook.input_fields)):
        return None
    return kind
