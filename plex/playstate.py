"""The token account's play state of an item: marking it played and setting its resume point, as plexapi's
`markPlayed` (`GET /:/scrobble`) and `updateProgress` (`GET /:/progress`) send them.

Marking played adds one view and clears the resume point, so a resume point to keep is sent after the plays. A
progress of 0 does nothing in PMS (plexapi's note): only a positive point is ever sent.

Neither is resent blindly: both are GETs that change state (a second scrobble is a second play), so the transport
never repeats them, and when an answer is lost (Plex may have applied it) the item is read first and the request
is sent again only when its change is not there (`PlexWire.request_checked`).
"""

from __future__ import annotations

from urllib.parse import urlencode

from plex.push import read_item
from plex.wire import PlexWire

IDENTIFIER = "com.plexapp.plugins.library"


def mark_played(plex: PlexWire, rating_key: int, views_before: int) -> None:
    """One more view of the item, whose view count was `views_before` (as the caller last read it)."""
    query = urlencode({"key": int(rating_key), "identifier": IDENTIFIER})
    plex.request_checked("GET", "/:/scrobble?" + query, lambda: watch_state(plex, rating_key)[0] > views_before)


def set_progress(plex: PlexWire, rating_key: int, offset_ms: int) -> None:
    if offset_ms <= 0:
        raise ValueError("Plex ignores a resume point of 0; only positive points are sent")
    query = urlencode({"key": int(rating_key), "identifier": IDENTIFIER, "time": int(offset_ms), "state": "stopped"})
    plex.request_checked("GET", "/:/progress?" + query, lambda: watch_state(plex, rating_key)[1] == int(offset_ms))


def watch_state(plex: PlexWire, rating_key: int) -> tuple[int, int]:
    """The item's (viewCount, viewOffset in ms) for the token's account: one GET."""
    views, _, offset = read_item(plex, rating_key).get("watch") or (0, None, 0)
    return views, offset
