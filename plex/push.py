"""Writing to Plex: one PUT per item with every changed field (locked), the poster only when it changed.

Lists use indexed assignment (`genre[0].tag.tag=A&genre[1].tag.tag=B`), which replaces the whole list of that
tag type, so the result is exactly Stash's list; an empty list is cleared with `genre[].tag=`.

Collections decision: the studio collection shares its list with the user's own collections, and PMS has no
documented "add one" form, only indexed assignment (replace) and `-=` (remove). So when the collection field
changed we read the full item once (`read_item`) and send the user's collections back, minus the collections
this plugin added before, plus the new studio collection. That is exact in one PUT; `-=` alone could remove
but never add.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Optional, Sequence
from urllib.parse import quote, urlencode

from plex import wire
from plex.errors import PlexNotFound
from plex.parse import video_fields, video_parts

_SCALARS = {
    "title": "title",
    "summary": "summary",
    "studio": "studio",
    "originallyAvailableAt": "originallyAvailableAt",
    "userRating": "userRating",
    "contentRating": "contentRating",
}
_TAGS = {"genres": "genre", "actors": "actor", "collections": "collection", "directors": "director"}


def _list_params(tag: str, values: Sequence[str]) -> dict[str, str]:
    if not values:
        return {f"{tag}[].tag": "", f"{tag}.locked": "1"}
    params = {f"{tag}[{i}].tag.tag": value for i, value in enumerate(values)}
    params[f"{tag}.locked"] = "1"
    return params


def collections_to_send(
    desired: Sequence[str],
    current_collections: Sequence[str],
    previous_collections: Iterable[str],
) -> list[str]:
    """The item's full collection list after the change: the user's own kept, ours replaced."""
    ours = {c.casefold() for c in previous_collections} | {c.casefold() for c in desired}
    kept = [c for c in current_collections if c.casefold() not in ours]
    return kept + list(desired)


def build_edit_params(
    fields: Mapping[str, Any],
    changed: Iterable[str],
    current_collections: Optional[Sequence[str]] = None,
    previous_collections: Iterable[str] = (),
) -> dict[str, str]:
    """Query parameters of the one edit PUT for the changed fields (empty dict: nothing to send).

    `current_collections` is the item's full collection list (from `read_item`), required when
    "collections" changed; `previous_collections` are the collections this plugin added earlier.
    """
    params: dict[str, str] = {}
    for name in sorted(set(changed) & set(fields)):
        value = fields[name]
        if name in _SCALARS:
            key = _SCALARS[name]
            params[f"{key}.value"] = "" if value is None else str(value)
            params[f"{key}.locked"] = "1"
        elif name == "collections":
            if current_collections is None:
                raise ValueError("changing collections needs the item's current collections (read_item)")
            params.update(_list_params("collection", collections_to_send(value, current_collections,
                                                                          previous_collections)))
        else:
            params.update(_list_params(_TAGS[name], list(value)))
    return params


# PMS takes edits only in the query string, and servers or proxies in front of it cut request lines near 8 KB:
# a summary whose encoded form is longer than this goes in a PUT of its own, so the other fields never wait on it.
OWN_PUT_SUMMARY_BYTES = 2000
MIN_SUMMARY_BYTES = 500  # a server refusing even this much gets the summary cut no further: the edit fails


def encoded_length(text: str) -> int:
    return len(quote(text, safe=""))


def cut_to_fit(text: str, budget: int) -> str:
    """The longest prefix of `text` (whole characters) whose encoded form fits in `budget` bytes."""
    if encoded_length(text) <= budget:
        return text
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        low, high = (middle, high) if encoded_length(text[:middle]) <= budget else (low, middle - 1)
    return text[:low]


def encode_params(params: Mapping[str, str]) -> str:
    """Percent-encodes as plexapi does (`%20` for spaces, brackets as `%5B`/`%5D`, nothing left raw)."""
    return urlencode(list(params.items()), quote_via=quote, safe="")


def edit(server: Any, rating_key: int, section_id: int, params: Mapping[str, str]) -> None:
    """Sends the edit as one PUT on the item's section, always naming the item (an `id`-less section PUT
    would apply to the whole section); no reload, no hidden GET."""
    if not params:
        raise ValueError("an edit needs at least one field")
    query = encode_params({"type": "1", "id": str(int(rating_key)), **params})
    wire.request(server, "PUT", f"/library/sections/{int(section_id)}/all?{query}")


def upload_poster(server: Any, rating_key: int, data: bytes) -> None:
    """POSTs the image bytes. Every upload adds an image to the item's poster bundle in Plex, so the caller
    sends a cover only when its hash differs from the last one uploaded."""
    wire.request(server, "POST", f"/library/metadata/{int(rating_key)}/posters", data=data)


def read_item(server: Any, rating_key: int) -> dict:
    """The full item's synced fields (complete tag lists, locks, parts): one GET, only when truly needed."""
    root = wire.request_xml(server, "GET", f"/library/metadata/{int(rating_key)}")
    video = root.find("Video")
    if video is None:
        raise PlexNotFound(f"Plex item {int(rating_key)} has no video in its metadata")
    fields = video_fields(video, full=True)
    fields["parts"] = video_parts(video)
    return fields
