"""Maps a PMS request to the library operation and its XML answer, independent of sockets.

The HTTP layer owns auth, faults and logging; this module only says what PMS would answer for an authorised
request, and which counter kind a request belongs to (needed even for requests a fault answers).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Callable, Mapping

from simulators.plex import render
from simulators.plex.edits import EditError
from simulators.plex.library import PlexLibrary

_SECTION = re.compile(r"^/library/sections/(\d+)/(all|refresh)$")
_WATCH_PATHS = ("/:/scrobble", "/:/unscrobble", "/:/progress")
_ITEM = re.compile(r"^/library/metadata/(\d+)(?:/(refresh|posters|arts))?$")


@dataclass
class Response:
    status: int
    body: str = ""
    content_type: str = "text/xml;charset=utf-8"
    written: list[int] = field(default_factory=list)
    edit: bool = False


def classify(method: str, path: str, query: str = "") -> str:
    """The counter kind of a request (see stats.KINDS); `query` is the raw query string. A section listing
    filtered by `file=` is a file look-up (`lookup`): one file Plex may have just scanned, not a listing."""
    if path in ("/", "/identity"):
        return "root"
    if path in ("/library", "/library/", "/library/sections", "/library/sections/"):
        return "sections"
    if path == "/:/rate":
        return "rate"
    if path in _WATCH_PATHS:
        return "watch"
    match = _SECTION.match(path)
    if match:
        if match.group(2) == "refresh":
            return "refresh"
        if method != "GET":
            return "edit"
        return "lookup" if any(p.startswith("file=") for p in query.split("&")) else "listing"
    match = _ITEM.match(path)
    if match:
        sub = match.group(2)
        if sub is None:
            return "item" if method == "GET" else "edit"
        if sub == "refresh":
            return "refresh"
        return "poster" if method == "POST" else "other"
    return "other"


class Router:
    """Answers authorised PMS requests from a PlexLibrary."""

    def __init__(self, library: PlexLibrary, machine_id: str, friendly_name: str,
                 listing_delay: Callable[[int], None] = lambda items: None, scan_delay_s: float = 0.0) -> None:
        # PMS answers a refresh at once and scans in the background: new files appear this long after.
        self.scan_delay_s = scan_delay_s
        self.listing_delay = listing_delay  # a real PMS takes time per listed item (see Faults.listing_item_ms)
        self.section_wide_edits = 0  # id-less section PUTs received: the plugin must never send one
        self.library = library
        self.machine_id = machine_id
        self.friendly_name = friendly_name

    def handle(self, method: str, path: str, query: list[tuple[str, str]], headers: Mapping[str, str],
               body: bytes) -> Response:
        params = dict(query)
        try:
            return self._dispatch(method, path, query, params, headers, body)
        except EditError as exc:
            return _error(exc.status)
        except (KeyError, ValueError):
            return _error(404)

    def _dispatch(self, method: str, path: str, query: list[tuple[str, str]], params: dict[str, str],
                  headers: Mapping[str, str], body: bytes) -> Response:
        lib = self.library
        if method == "GET" and path == "/":
            return Response(200, render.root(self.machine_id, self.friendly_name))
        if method == "GET" and path == "/identity":
            return Response(200, render.identity(self.machine_id))
        if method == "GET" and path == "/accounts":
            return Response(200, render.accounts("simulated-owner"))
        if method == "GET" and path in ("/library", "/library/"):
            return Response(200, render.library())
        if method == "GET" and path in ("/library/sections", "/library/sections/"):
            with lib.lock:
                return Response(200, render.sections(list(lib.sections.values())))
        if path == "/:/rate" and method in ("PUT", "POST"):
            return self._rate(params)
        if path in _WATCH_PATHS and method in ("GET", "PUT", "POST"):
            return self._watch(path, params)
        match = _SECTION.match(path)
        if match:
            section_id = int(match.group(1))
            if section_id not in lib.sections:
                return _error(404)
            if match.group(2) == "refresh":
                return self._scan(method, section_id, params)
            if method == "GET":
                return self._listing(section_id, params, headers)
            if method == "PUT":
                return self._edit(section_id, params.get("id", ""), query)
        match = _ITEM.match(path)
        if match:
            return self._item(method, int(match.group(1)), match.group(2), params, query, body)
        return _error(404)

    def _listing(self, section_id: int, params: dict[str, str], headers: Mapping[str, str]) -> Response:
        lib = self.library
        section = lib.sections[section_id]
        if params.get("type", "1") != "1":
            return Response(200, render.listing(section, [], 0, 0, lib.tag_id))
        items = lib.listing(section_id, params.get("title"), params.get("file"), params.get("sort"))
        start = _int(headers.get("X-Plex-Container-Start") or params.get("X-Plex-Container-Start"), 0)
        size = _int(headers.get("X-Plex-Container-Size") or params.get("X-Plex-Container-Size"), len(items))
        page = items[start:start + size]
        self.listing_delay(len(page))
        with lib.lock:
            return Response(200, render.listing(section, page, start, len(items), lib.tag_id))

    def _edit(self, section_id: int | None, ids: str, query: list[tuple[str, str]]) -> Response:
        rating_keys = [int(x) for x in ids.split(",") if x.strip()]
        if not rating_keys and section_id is not None:
            # PMS applies an id-less section edit to every item of the type (plex-api-spec updateItems, "All
            # tracks: /library/sections/{id}/all?type=10&title.value=..."): one request rewrites a library.
            rating_keys = [item.rating_key for item in self.library.listing(section_id, None, None)]
            self.section_wide_edits += 1
        if not rating_keys:
            return _error(400)
        for rk in rating_keys:
            item = self.library.get(rk)
            if item is None or (section_id is not None and item.section_id != section_id):
                return _error(404)
        self.library.edit(rating_keys, query)
        return Response(200, written=rating_keys, edit=True)

    def _item(self, method: str, rk: int, sub: str | None, params: dict[str, str], query: list[tuple[str, str]],
              body: bytes) -> Response:
        lib = self.library
        item = lib.get(rk)
        if item is None:
            return _error(404)
        if sub is None and method == "GET":
            with lib.lock:
                return Response(200, render.full_item(lib.sections[item.section_id], item, lib.tag_id))
        if sub is None and method == "PUT":
            return self._edit(None, str(rk), query)
        if sub == "refresh" and method == "PUT":
            lib.agent_refresh(rk)
            return Response(200)
        if sub in ("posters", "arts") and method == "POST":
            content = params["url"].encode() if params.get("url") else body
            if not content:
                return _error(400)
            lib.upload_image(rk, "poster" if sub == "posters" else "art", content)
            return Response(200, written=[rk])
        if sub == "posters" and method == "GET":
            with lib.lock:
                return Response(200, render.posters(item))
        if sub == "arts" and method == "GET":
            return Response(200, render.empty_container())
        return _error(404)

    def _rate(self, params: dict[str, str]) -> Response:
        rk = _int(params.get("key"), -1)
        try:
            rating = float(params.get("rating", ""))
        except ValueError:
            return _error(400)
        if params.get("identifier") != render.IDENTIFIER or not (rating == -1 or 0 <= rating <= 10):
            return _error(400)
        if self.library.get(rk) is None:
            return _error(404)
        self.library.rate(rk, rating)
        return Response(200, written=[rk])

    def _watch(self, path: str, params: dict[str, str]) -> Response:
        """plexapi `markPlayed` / `markUnplayed` / `updateProgress`: `key` and the library identifier; progress
        needs `time` in ms (0 does nothing there, plexapi says: only (un)scrobbling clears a resume point)."""
        rk = _int(params.get("key"), -1)
        if params.get("identifier") != render.IDENTIFIER:
            return _error(400)
        if self.library.get(rk) is None:
            return _error(404)
        if path == "/:/scrobble":
            self.library.scrobble(rk)
        elif path == "/:/unscrobble":
            self.library.unscrobble(rk)
        else:
            offset = _int(params.get("time"), -1)
            if offset < 0:
                return _error(400)
            if offset > 0:
                self.library.progress(rk, offset)
        return Response(200, written=[rk])

    def _scan(self, method: str, section_id: int, params: dict[str, str]) -> Response:
        if method == "DELETE":
            return Response(200)
        if method not in ("GET", "POST"):
            return _error(404)
        scan = (section_id, params.get("path") or None, params.get("force") == "1")
        if self.scan_delay_s > 0:
            timer = threading.Timer(self.scan_delay_s, self.library.scan, scan)
            timer.daemon = True
            timer.start()
        else:
            self.library.scan(*scan)
        return Response(200)


def _error(status: int) -> Response:
    reasons = {400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 500: "Internal Server Error"}
    return Response(status, render.html_error(status, reasons.get(status, "Error")), "text/html")


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value not in (None, "") else default
    except ValueError:
        return default
