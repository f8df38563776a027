"""``PlexSimulator``: the library, its HTTP face, the request counters and the fault switches in one object.

Every PMS request goes through ``_respond``: control paths first (free, uncounted), then injected latency, then
faults and the token check, then the router; the request is recorded before its reply is written, so a test that
has its answer can trust the counters.
"""

from __future__ import annotations

import hashlib
from urllib.parse import parse_qsl, unquote, urlsplit

from simulators import dataset
from simulators.plex import control, render
from simulators.plex.faults import Faults
from simulators.plex.library import PlexLibrary
from simulators.plex.model import ItemState
from simulators.plex.routes import Router, classify
from simulators.plex.server import Listener, Reply
from simulators.plex.stats import LoggedRequest, RequestStats

DEFAULT_TOKEN = "sim-plex-token"


class PlexSimulator:
    """A simulated Plex Media Server on 127.0.0.1, built from simulators.dataset (same seed/n as the Stash one)."""

    def __init__(self, scenes: int = 200, seed: int = 1, token: str = DEFAULT_TOKEN, latency_ms: int = 0,
                 port: int = 0, listing_item_ms: float = 0.0, max_request_line: int = 0, read_ms: float = 0.0,
                 write_ms: float = 0.0, poster_ms: float = 0.0, shared_token: str | None = None,
                 scan_delay_s: float = 0.0) -> None:
        self.token = token
        # The token of a user the server is shared with: it reads the libraries, but `/accounts` is the owner's
        # alone (403) and writes are refused (401), as PMS does (FIDELITY.md).
        self.shared_token = shared_token
        # PMS itself has no documented limit; servers and proxies in front of it refuse request lines near 8 KB
        # with 414 (0 = no limit, as a bare PMS).
        self.max_request_line = max_request_line
        self.library = PlexLibrary(scenes, seed)
        machine_id = hashlib.sha1(f"plex-sim-{seed}-{scenes}".encode()).hexdigest()
        self.stats = RequestStats()
        self._listener = Listener(self._respond, port=port)
        self.faults = Faults(self._listener.close, self._listener.open)
        self.faults.latency_ms = latency_ms
        self.faults.listing_item_ms = listing_item_ms
        self.faults.read_ms, self.faults.write_ms, self.faults.poster_ms = read_ms, write_ms, poster_ms
        self.router = Router(self.library, machine_id, "Stash2Plex Simulated PMS", self.faults.listing_delay,
                             scan_delay_s)

    # -- lifecycle -----------------------------------------------------------------------------------------

    def start(self) -> PlexSimulator:
        self._listener.open()
        return self

    def stop(self) -> None:
        self.faults.refusing = False
        self._listener.close()

    def __enter__(self) -> PlexSimulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        return self._listener.port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- observation ---------------------------------------------------------------------------------------

    @property
    def counts(self) -> dict[str, int]:
        return self.stats.counts()

    @property
    def log(self) -> list[LoggedRequest]:
        return list(self.stats.log)

    def reset_counts(self) -> None:
        self.stats.reset()
        self.faults.writer.reset()

    def edit_count(self, rating_key: int) -> int:
        """Edit PUTs that touched the item (multi-item PUTs count once per item)."""
        return self.stats.edit_count(rating_key)

    def write_count(self, rating_key: int) -> int:
        """All successful writes to the item: edits, poster/art uploads, ratings."""
        return self.stats.write_count(rating_key)

    def stats_json(self) -> dict:
        data = self.stats.to_json()
        data["faults"] = self.faults.to_json()
        data["writer"] = self.faults.writer.to_json()
        with self.library.lock:
            data["items"] = len(self.library.items)
            data["pending"] = len(self.library.pending)
        return data

    def item(self, rating_key: int) -> ItemState:
        return self.library.state(rating_key)

    def items(self) -> list[ItemState]:
        """Every item's state (what the benchmark compares before and after a sync)."""
        with self.library.lock:
            keys = sorted(self.library.items)
        return [self.item(key) for key in keys]

    def item_for_stash_path(self, stash_path: str) -> ItemState | None:
        """The item holding a Stash file (seen by Plex under dataset.PLEX_ROOT), or None if Plex lacks it."""
        rk = self.library.rating_key_for_path(dataset.plex_path(stash_path))
        return None if rk is None else self.item(rk)

    # -- steering ------------------------------------------------------------------------------------------

    def user_edit(self, rating_key: int, **changes: object) -> ItemState:
        return self.library.user_edit(rating_key, **changes)

    def user_watch(self, rating_key: int, plays: int = 0, offset_ms: int = 0) -> ItemState:
        """The token's account watching in a Plex app: `plays` full views, then (if given) stopping part-way."""
        for _ in range(plays):
            self.library.scrobble(rating_key)
        if offset_ms:
            self.library.progress(rating_key, offset_ms)
        return self.item(rating_key)

    def add_scene(self, scene_id: str | int) -> int:
        """Returns the ratingKey the scene's item will have once a section refresh picks it up."""
        return self.library.add_scene(str(scene_id))

    def add_file(self, stash_path: str, size: int, duration_ms: int) -> int:
        """A file Stash sees at `stash_path` put on Plex's disk (under dataset.PLEX_ROOT), not yet scanned."""
        return self.library.add_file(dataset.plex_path(stash_path), size, duration_ms)

    def rekey(self, rating_key: int) -> int:
        """The item's file re-scanned under a new ratingKey (metadata lost); returns the new key."""
        return self.library.rekey(rating_key)

    def refresh(self, section_id: int = 1) -> list[int]:
        """A scan as if PMS ran one on its own; returns the ratingKeys that appeared."""
        return self.library.scan(section_id)

    # -- HTTP ----------------------------------------------------------------------------------------------

    def _respond(self, method: str, target: str, headers: dict, body: bytes) -> Reply:
        parts = urlsplit(target)
        path = unquote(parts.path)
        if path.startswith("/_sim/"):
            return control.handle(self, method, path, parts.query, body)
        kind = classify(method, path, parts.query)
        self.faults.apply_latency(method, kind, _header(headers, "X-Plex-Client-Identifier") or "")
        if self.max_request_line and len(f"{method} {target} HTTP/1.1") > self.max_request_line:
            self.stats.record(method, target, 414, kind, [], False)
            return Reply(414, "text/html", render.html_error(414, "Request-URI Too Long").encode("utf-8"), 0.0)
        query = parse_qsl(parts.query, keep_blank_values=True)
        token = _header(headers, "X-Plex-Token") or dict(query).get("X-Plex-Token")
        error = None if self.faults.unauthorized else self.faults.take_error()
        shared = self.shared_token is not None and token == self.shared_token
        refused = _refused_for_shared(method, path) if shared else None
        if self.faults.unauthorized or (error is None and path != "/identity" and token != self.token and not shared):
            status, ctype, text, written, edit = 401, "text/html", render.html_error(401, "Unauthorized"), [], False
        elif error is not None:
            status, ctype, text, written, edit = error, "text/html", render.html_error(error, "Error"), [], False
        elif refused is not None:
            reason = "Forbidden" if refused == 403 else "Unauthorized"
            status, ctype, text, written, edit = refused, "text/html", render.html_error(refused, reason), [], False
        else:
            res = self.router.handle(method, path, query, _ContainerHeaders(headers), body)
            status, ctype, text, written, edit = res.status, res.content_type, res.body, res.written, res.edit
        self.stats.record(method, target, status, kind, written if status == 200 else [], edit)
        return Reply(status, ctype, text.encode("utf-8"), self.faults.slow_body_s,
                     drop=status == 200 and self.faults.take_drop(kind))


def _refused_for_shared(method: str, path: str) -> int | None:
    """What PMS answers a shared user's token: 403 on the owner's `/accounts`, 401 on a write."""
    if path == "/accounts":
        return 403
    if method != "GET" or path in ("/:/scrobble", "/:/unscrobble", "/:/progress", "/:/rate"):
        return 401
    return None


def _header(headers: dict, name: str) -> str | None:
    lowered = name.lower()
    return next((v for k, v in headers.items() if k.lower() == lowered), None)


class _ContainerHeaders(dict):
    """Case-insensitive ``get`` over request headers (clients differ in header case)."""

    def __init__(self, headers: dict) -> None:
        super().__init__((k.lower(), v) for k, v in headers.items())

    def get(self, key: str, default: object = None) -> object:  # type: ignore[override]
        return super().get(key.lower(), default)
