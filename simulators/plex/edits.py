"""The PMS edit grammar (``PUT .../all?...`` and ``PUT /library/metadata/{rk}?...``) parsed and applied.

Parsing validates the whole request before anything changes, so a 400/500 leaves the item untouched, as a
real server's single database transaction would. Semantics follow research/plexapi-http.md §3: indexed tags
replace the whole list of their type, ``[].tag.tag-`` removes (each value quoted once more inside: plexapi
``mixins/edit.py`` ``_tagHelper``), ``.locked`` is explicit (an edit without it does not lock). The bare
``[].tag=`` ("remove associations of this type" in the API spec only; no known client sends it) is ignored: a
plugin relying on it would pass here and fail on a PMS that ignores it (simulators/FIDELITY.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Callable
from urllib.parse import unquote

from simulators.plex.model import EDITABLE_FIELDS, LOCK_ONLY, TAG_ELEMENTS, Item, Tag

_TAG_KEY = re.compile(
    r"^(?P<type>[A-Za-z]+)\[(?P<index>\d*)\]\.(?P<attr>tag\.tag|tag\.thumb|tag\.tagKey|tagging\.text|tag)(?P<minus>-?)$"
)
_IGNORED = ("id", "type")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class EditError(Exception):
    """A request PMS would refuse: ``status`` 400 for an unknown name, 500 for data it cannot store."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class EditRequest:
    """A validated edit, independent of the item(s) it is applied to (``id=1,2`` applies it to each)."""

    values: dict[str, str] = field(default_factory=dict)
    locks: dict[str, bool] = field(default_factory=dict)
    replace: dict[str, dict[int, dict[str, str]]] = field(default_factory=dict)
    remove: dict[str, list[str]] = field(default_factory=dict)


def parse_edit(pairs: list[tuple[str, str]]) -> EditRequest:
    """Builds an EditRequest from once-decoded query pairs; raises EditError like PMS would."""
    req = EditRequest()
    for key, value in pairs:
        if key in _IGNORED or key.startswith("X-Plex-"):
            continue
        if _CONTROL.search(value):
            raise EditError(500, f"invalid characters in {key}")
        if key.endswith(".value"):
            name = key[: -len(".value")]
            if name not in EDITABLE_FIELDS:
                raise EditError(400, f"unknown field {name}")
            req.values[name] = _checked_value(name, value)
        elif key.endswith(".locked"):
            name = key[: -len(".locked")]
            if name not in EDITABLE_FIELDS and name not in LOCK_ONLY and name not in TAG_ELEMENTS:
                raise EditError(400, f"unknown field {name}")
            req.locks[name] = value not in ("0", "")
        else:
            _parse_tag_key(req, key, value)
    return req


def _parse_tag_key(req: EditRequest, key: str, value: str) -> None:
    match = _TAG_KEY.match(key)
    if not match:
        raise EditError(400, f"unknown parameter {key}")
    tag_type, index, attr, minus = match.group("type", "index", "attr", "minus")
    if tag_type not in TAG_ELEMENTS:
        raise EditError(400, f"unknown tag type {tag_type}")
    if index == "":
        if attr == "tag.tag" and minus:
            names = [unquote(v) for v in value.split(",")]
            req.remove.setdefault(tag_type, []).extend(n for n in names if n)
        elif attr == "tag" and not minus and value == "":
            pass  # the bare empty-list form: unproven, ignored
        else:
            raise EditError(400, f"unsupported parameter {key}")
        return
    if minus or attr == "tag":
        raise EditError(400, f"unsupported parameter {key}")
    if attr == "tag.tagKey":
        return  # in no spec and sent by no known client (tagKey is only read: plexapi media.py Role): ignored
    req.replace.setdefault(tag_type, {}).setdefault(int(index), {})[attr] = value


def _checked_value(name: str, value: str) -> str:
    if value == "":
        return value
    try:
        if name == "userRating" or name in ("rating", "audienceRating"):
            if not 0 <= float(value) <= 10:
                raise ValueError(value)
        elif name in ("year", "addedAt"):
            int(value)
        elif name == "originallyAvailableAt":
            date.fromisoformat(value)
    except ValueError:
        raise EditError(500, f"invalid value for {name}") from None
    return value


def apply_edit(item: Item, req: EditRequest, spelling: Callable[[str, str], str] = lambda kind, name: name) -> bool:
    """Applies a validated edit; returns whether anything about the item changed. A tag is a library-wide
    object in PMS: `spelling(tag_type, name)` gives the spelling it already has (another case of a known name
    is that tag, shown as first written: "Plex automatically capitalizes labels", Kometa #201)."""
    before = (dict(item.fields), {k: list(v) for k, v in item.tags.items()}, set(item.locked))
    for name, value in req.values.items():
        set_field(item, name, value)
    if "title" in req.values and "titleSort" not in req.values and "titleSort" not in item.locked:
        set_field(item, "titleSort", req.values["title"])
    for tag_type, entries in req.replace.items():
        tags = [_tag(entries[i], spelling(tag_type, entries[i]["tag.tag"])) for i in sorted(entries)
                if entries[i].get("tag.tag")]
        item.tags[tag_type] = _unique(tags)
    for tag_type, names in req.remove.items():
        kept = [t for t in item.tags.get(tag_type, []) if t.tag not in names]
        item.tags[tag_type] = kept
    for name, locked in req.locks.items():
        if locked:
            item.locked.add(name)
        else:
            item.locked.discard(name)
    item.tags = {k: v for k, v in item.tags.items() if v}
    return before != (item.fields, item.tags, item.locked)


def set_field(item: Item, name: str, value: str) -> None:
    if value == "":
        item.fields.pop(name, None)
    else:
        item.fields[name] = value


def _tag(entry: dict[str, str], name: str) -> Tag:
    return Tag(tag=name, role=entry.get("tagging.text") or None, thumb=entry.get("tag.thumb") or None)


def _unique(tags: list[Tag]) -> list[Tag]:
    """PMS stores one association per tag name and type; a repeated name keeps its first position."""
    seen: set[str] = set()
    out = []
    for t in tags:
        if t.tag.casefold() not in seen:
            seen.add(t.tag.casefold())
            out.append(t)
    return out
