"""What a perfect plugin must write to Plex, read from Plex's own state rather than from the plugin's requests.

Every item's state is read from the Plex simulator before and after a measured run (`GET /_sim/items`): a
perfect plugin sends one edit PUT per item whose Plex-visible fields (values and locks) changed and one poster
upload per item whose cover changed, and nothing else. That is the write limit the plugin is judged against:
were it computed from the writes the plugin chose to make, it could not see a wasted write.
"""

from __future__ import annotations

from typing import Dict, List

from bench.harness import SimProcess

# Not changed by an edit PUT: the poster (its own upload), play state, and what the scanner owns.
_NOT_EDITED = frozenset({"poster_sha1", "poster_uploads", "art_sha1", "art_uploads", "updated_at", "added_at",
                         "files", "view_count", "last_viewed_at", "view_offset"})


def snapshot(plex: SimProcess) -> List[dict]:
    """Every Plex item's state now."""
    response = plex.session.get(f"{plex.url}/_sim/items", timeout=300)
    response.raise_for_status()
    return response.json()


def needed_writes(before: List[dict], after: List[dict]) -> Dict[str, int]:
    """{"edits": items whose edited fields differ, "posters": items whose poster differs}."""
    old = {item["rating_key"]: item for item in before}
    edits = posters = 0
    for item in after:
        was = old.get(item["rating_key"], {})
        edits += any(item[key] != was.get(key) for key in item if key not in _NOT_EDITED)
        posters += item["poster_sha1"] != was.get("poster_sha1")
    return {"edits": edits, "posters": posters}


def write_limit_s(needed: Dict[str, int], write_s: float, poster_s: float) -> float:
    """The least time Plex's one writer must be busy for the needed writes (the latency model's costs)."""
    return round(needed["edits"] * write_s + needed["posters"] * poster_s, 3)
