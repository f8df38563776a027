"""Writing to Plex: one PUT per item with every changed field (locked), the poster only when it changed.

Lists use indexed assignment (`genre[0].tag.tag=A&genre[1].tag.tag=B`), which replaces the whole list of that
tag type, so the result is exactly Stash's list. An empty list cannot be assigned that way: its entries are
removed with plexapi's removal form, `genre[].tag.tag-=A,B` (each name quoted, `mixins/edit.py` `_tagHelper`),
naming exactly the entries present: the full item's when it was read, else those this plugin pushed (`ours`) and
those the stored listing shows. The bare `genre[].tag=` is only in the API spec; no client is known to send it.

Merged lists (collections, labels: `MERGED_FIELDS`): ours share the list with the user's own, and
PMS has no documented "add one" form, only indexed assignment (replace) and `-=` (remove). So when such a field
changed we read the full item once (`read_item`) and send the user's entries back, minus the ones this plugin
added before, plus ours now. That is exact in one PUT; `-=` alone could remove but never add. A tag kind no
longer chosen (`tags_as`) is taken back the same way, with nothing of ours left in it.

Actor photos go with the actors (`actor[i].tag.thumb`), so a changed photo resends the actor list.
"""

from __future__ import annotations

import hashlib
from typing import Any, Callable, Iterable, Mapping, Optional, Sequence
from urllib.parse import quote, urlencode

from plex.errors import PlexNotFound
from plex.parse import video_fields, video_parts
from plex.wire import PlexWire

_SCALARS = {
    "title": "title",
    "summary": "summary",
    "studio": "studio",
    "originallyAvailableAt": "originallyAvailableAt",
    "userRating": "userRating",
    "contentRating": "contentRating",
}
# Lists shared with what the user (or another tool) put there: only the entries this plugin added are replaced.
MERGED_FIELDS = ("collections", "labels")
_TAGS = {"genres": "genre", "labels": "label", "actors": "actor", "collections": "collection", "directors": "director"}


# The lists a listing shows (some entries of each) that the stored index keeps, for emptying them.
LISTED = ("genres", "actors", "directors", "collections")


def _list_params(tag: str, values: Sequence[str], present: Iterable[str] = ()) -> dict[str, str]:
    if not values:
        names = list({name.casefold(): name for name in present}.values())
        removal = {f"{tag}[].tag.tag-": ",".join(quote(str(name)) for name in names)} if names else {}
        return {**removal, f"{tag}.locked": "1"}
    params = {f"{tag}[{i}].tag.tag": value for i, value in enumerate(values)}
    params[f"{tag}.locked"] = "1"
    return params


def merged_list(desired: Sequence[str], current: Sequence[str], previous: Iterable[str]) -> list[str]:
    """A merged list after the change: the user's own entries kept, ours (`previous`) replaced by `desired`."""
    ours = {c.casefold() for c in previous} | {c.casefold() for c in desired}
    kept = [c for c in current if c.casefold() not in ours]
    return kept + list(desired)


def needs_item(changed: Iterable[str], retract: Iterable[str] = ()) -> bool:
    """Whether the edit can only be built from the full item (`read_item`): a merged list changes or a tag kind
    is taken back."""
    return bool(set(changed) & set(MERGED_FIELDS)) or bool(tuple(retract))


def build_edit_params(
    fields: Mapping[str, Any],
    changed: Iterable[str],
    current: Optional[Mapping[str, Sequence[str]]] = None,
    ours: Optional[Mapping[str, Iterable[str]]] = None,
    retract: Iterable[str] = (),
    photo_url: Callable[[str], str] = lambda link: link,
    listed: Optional[Mapping[str, Sequence[str]]] = None,
) -> dict[str, str]:
    """Query parameters of the one edit PUT for the changed fields (empty dict: nothing to send).

    `current` is the full item (`read_item`), required when `needs_item` says so; `ours` the entries this plugin
    added before, by field; `retract` the tag kinds to take ours out of. `photo_url` turns a Stash image link
    into the one Plex is given (with Stash's API key when it has one). `listed`: the item's lists as the stored
    listing shows them, which with `ours` name what an emptied list removes when the item was not read.
    """
    changed = set(changed) & set(fields)
    if needs_item(changed, retract) and current is None:
        raise ValueError("changing a merged list needs the item's current lists (read_item)")
    full = current or {}  # read whenever a merged list changes or a kind is taken back (checked above)
    ours = ours or {}
    params: dict[str, str] = {}
    if "actorPhotos" in changed and "actors" in fields:
        changed.add("actors")
    for name in sorted(changed - {"actorPhotos"}):
        value = fields[name]
        if name in _SCALARS:
            key = _SCALARS[name]
            params[f"{key}.value"] = "" if value is None else str(value)
            params[f"{key}.locked"] = "1"
        elif name in MERGED_FIELDS:
            params.update(_list_params(_TAGS[name], merged_list(value, full[name], ours.get(name, ())),
                                       full[name]))
        else:
            params.update(_list_params(_TAGS[name], list(value), _present(name, current, ours, listed)))
            if name == "actors":
                for i, link in enumerate(fields.get("actorPhotos", ())):
                    if link:
                        params[f"actor[{i}].tag.thumb"] = photo_url(link)
    for name in retract:
        params.update(_list_params(_TAGS[name], merged_list((), full[name], ours.get(name, ())), full[name]))
    return params


def _present(name: str, current: Optional[Mapping[str, Sequence[str]]], ours: Mapping[str, Iterable[str]],
             listed: Optional[Mapping[str, Sequence[str]]]) -> list[str]:
    """The entries of a list on the item: the full item's, else what this plugin pushed and the listing shows."""
    if current is not None and name in current:
        return list(current[name])
    return [*ours.get(name, ()), *(listed or {}).get(name, ())]


# PMS takes edits only in the query string, and servers or proxies in front of it may refuse request lines near
# 8 KB (PMS itself has no documented limit): a summary is cut only after such a refusal (`worker.batch`).
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


def edit(plex: PlexWire, rating_key: int, section_id: int, params: Mapping[str, str]) -> None:
    """Sends the edit as one PUT on the item's section, always naming the item (an `id`-less section PUT
    would apply to the whole section); no reload, no hidden GET."""
    if not params:
        raise ValueError("an edit needs at least one field")
    query = encode_params({"type": "1", "id": str(int(rating_key)), **params})
    plex.request("PUT", f"/library/sections/{int(section_id)}/all?{query}")


def upload_poster(plex: PlexWire, rating_key: int, data: bytes) -> None:
    """POSTs the image bytes. Every upload adds an image to the item's poster bundle in Plex, so the caller
    sends a cover only when its hash differs from the last one uploaded. Plex names an uploaded image by its
    SHA-1 (`upload://posters/<sha1>`), so an upload whose answer was lost is resent only when the bundle does not
    hold that image."""
    digest = hashlib.sha1(data).hexdigest()
    plex.request_checked("POST", f"/library/metadata/{int(rating_key)}/posters",
                         lambda: poster_uploaded(plex, rating_key, digest), data)


def poster_uploaded(plex: PlexWire, rating_key: int, sha1: str) -> bool:
    """Whether the item's poster bundle holds the uploaded image with this SHA-1 (one GET), matched as plexapi's
    live test matches it: a key that starts with `upload://` and ends with the SHA-1."""
    root = plex.request_xml("GET", f"/library/metadata/{int(rating_key)}/posters")
    return any((p.get("ratingKey") or "").startswith("upload://") and (p.get("ratingKey") or "").endswith(sha1)
               for p in root)


def read_item(plex: PlexWire, rating_key: int) -> dict:
    """The full item's synced fields (complete tag lists, locks, parts): one GET, only when truly needed."""
    root = plex.request_xml("GET", f"/library/metadata/{int(rating_key)}")
    video = root.find("Video")
    if video is None:
        raise PlexNotFound(f"Plex item {int(rating_key)} has no video in its metadata")
    fields = video_fields(video, full=True)
    fields["parts"] = video_parts(video)
    return fields


def release_params(pushed: Iterable[str], poster: bool, ours: Mapping[str, Iterable[str]],
                   current: Optional[Mapping[str, Sequence[str]]] = None) -> dict[str, str]:
    """The PUT that gives an item back (uninstall): every field this plugin pushed unlocked (`pushed`: the field
    names of its last push), the poster unlocked when it uploaded one (`thumb.locked=0`, plexapi
    `unlockPoster`), and, given the full item (`current`), the collections and labels it added (`ours`) taken
    out, the user's own left."""
    params: dict[str, str] = {}
    if current is not None:
        for name in MERGED_FIELDS:
            if ours.get(name):
                params.update(_list_params(_TAGS[name], merged_list((), current[name], ours[name]), current[name]))
    keys = [_SCALARS.get(name) or _TAGS.get(name) for name in pushed] + (["thumb"] if poster else [])
    params.update({f"{key}.locked": "0" for key in keys if key})
    return params
