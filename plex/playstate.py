"""The token account's play state of an item: marking it played and setting its resume point, as plexapi's
`markPlayed` (`GET /:/scrobble`) and `updateProgress` (`GET /:/progress`) send them.

Marking played adds one view and clears the resume point, so a resume point to keep is sent after the plays. A
progress of 0 does nothing in PMS (plexapi's note): only a positive point is ever sent.
"""

from __future__ import annotations

from urllib.parse import urlencode

from plex.wire import PlexWire

IDENTIFIER = "com.plexapp.plugins.library"


def mark_played(plex: PlexWire, rating_key: int) -> None:
    plex.request("GET", "/:/scrobble?" + urlencode({"key": int(rating_key), "identifier": IDENTIFIER}))


def set_progress(plex: PlexWire, rating_key: int, offset_ms: int) -> None:
    if offset_ms <= 0:
        raise ValueError("Plex ignores a resume point of 0; only positive points are sent")
    query = urlencode({"key": int(rating_key), "identifier": IDENTIFIER, "time": int(offset_ms), "state": "stopped"})
    plex.request("GET", "/:/progress?" + query)
