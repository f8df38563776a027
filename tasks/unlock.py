"""The way back out (uninstall): every field this plugin locked in Plex unlocked, and, if asked, the collections
and labels it added taken back (the user's own stay). What the plugin pushed is known from the store: the field
names of each scene's last push, its items, its poster, its own collection and label entries.
"""

from __future__ import annotations

from plex.errors import PlexDown, PlexError
from plex.push import MERGED_FIELDS, release_params
from plugin import log
from plugin.errors import PluginError
from worker.context import Context


def unlock(ctx: Context) -> str:
    return _give_back(ctx, take_back=False)


def unlock_and_take_back(ctx: Context) -> str:
    return _give_back(ctx, take_back=True)


def _give_back(ctx: Context, take_back: bool) -> str:
    """One PUT per item this plugin wrote to (and a GET first where its collections or labels are taken back).
    Items gone from Plex are skipped; a failing item is counted and the rest go on; Plex down stops the task."""
    library = ctx.library()
    states = [s for s in ctx.store.scenes.iter_all() if s.plex_keys and (s.field_hashes or s.poster_sha1)]
    released = failed = 0
    for done, state in enumerate(states, 1):
        ours = state.our_tags if take_back else {}
        known = ctx.store.index.items(state.plex_keys)
        for rating_key in state.plex_keys:
            if rating_key not in known:
                continue
            try:
                current = library.api.read_item(rating_key) if any(ours.get(k) for k in MERGED_FIELDS) else None
                params = release_params(state.field_hashes, bool(state.poster_sha1), ours, current)
                if params:
                    library.api.edit(rating_key, known[rating_key].section_id, params)
                    released += 1
            except PlexDown as exc:
                raise PluginError(f"{exc.message}; {released} items given back so far, run the task again") from None
            except PlexError as exc:
                failed += 1
                log.warning(f"Plex item {rating_key} (scene {state.scene_id}) not given back: {exc.message}")
        log.progress(done / len(states))
    what = "fields unlocked, collections and labels of ours taken back" if take_back else "fields unlocked"
    return (f"Gave back {released} Plex items ({what}; your own entries stay)"
            + (f"; {failed} failed (see above)" if failed else "")
            + ". Set Enabled off or uninstall now: a sync would lock them again.")
