"""A thin GraphQL client for Stash, on the plugin's transport (`plugin.transport`: requests, kept-alive sessions).

Not stashapi.StashInterface: its constructor costs three round trips and a 546 KB schema introspection, and its
default fragments omit the names we sync. Errors never carry the session cookie or the API key: messages are built
from status codes and Stash's own error text, then passed through plugin.log.redact.
"""

from __future__ import annotations

import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterable, Iterator, List, Optional, Protocol, Sequence, TypeVar
from urllib.parse import urlencode, urlsplit

from plugin import log
from plugin.io import StashServer
from plugin.transport import AnswerLost, Redirected, Transport, TransportError, tls_context
from stash import queries
from stash.activity import StashActivity
from stash.errors import StashAnswerLost, StashAuthError, StashError, StashUnavailable
from sync_queue.timestamps import try_parse_instant

if TYPE_CHECKING:
    import requests

# Stash compares updated_at as text in its own local time; this margin absorbs DST shifts and clock skew.
RECENT_MARGIN = timedelta(hours=1)
_MAX_ERROR_CHARS = 400
_ENTITY_FILTERS = {
    "performer": lambda ids: {"performers": {"value": ids, "modifier": "INCLUDES"}},
    "tag": lambda ids: {"tags": {"value": ids, "modifier": "INCLUDES", "depth": 0}},
    # depth 1: a parent studio's name reaches its children's scenes (sync_parent_studio).
    "studio": lambda ids: {"studios": {"value": ids, "modifier": "INCLUDES", "depth": 1}},
    # `movies` rather than `groups` (v0.27+): deprecated since, but every version filters by it.
    "group": lambda ids: {"movies": {"value": ids, "modifier": "INCLUDES"}},
}


@dataclass(frozen=True)
class ScenePage:
    scenes: List[dict]
    count: int
    page: int


@dataclass(frozen=True)
class Cover:
    data: bytes
    content_type: str
    sha1: str


class StashSource(Protocol):
    """What the worker asks of Stash (`stash.client.StashClient`; tests substitute an in-memory one)."""

    def query(self, document: str, variables: Optional[Dict[str, Any]] = None) -> dict: ...

    def scenes_by_ids(self, ids: Sequence[int]) -> List[dict]: ...

    def scene_pages(self, per_page: int = 250, updated_since=None) -> Iterator[ScenePage]: ...

    def scene_ids_for(self, kind: str, entity_id: int) -> Iterator[int]: ...

    def fetch_cover(self, url: str) -> Optional[Cover]: ...

    def link_for_plex(self, link: str) -> str: ...

    def watched_scenes(self) -> Dict[int, dict]: ...

    def performer_tally(self) -> tuple[int, int]: ...

    def add_plays(self, scene_id: int, times: Sequence[str]) -> None: ...

    def save_resume(self, scene_id: int, seconds: float) -> None: ...

    def clone(self) -> StashSource: ...

    def close(self) -> None: ...


class StashClient(StashActivity):
    """One Stash server; thread-safe, but a client per worker thread keeps each thread's session cookie its own."""

    def __init__(self, server: StashServer, timeout: float = 30) -> None:
        self._server = server
        self._timeout = timeout
        # Stash sends its bind address (127.0.0.1 for 0.0.0.0), which a user's certificate cannot name, and often a
        # self-signed one: the connection is to the Stash that started us, so it is not verified.
        self._transport = Transport(server.url, (timeout, timeout),
                                    tls_context(verify=False) if server.scheme == "https" else None)
        for secret in server.secrets:
            log.register_secret(secret)
        # The session cookie is kept by hand, one value: Stash re-issues it with every answer and each value
        # expires an hour after it was issued.
        self._cookie = None if server.api_key else server.session_cookie
        self._api_key: Optional[str] = None
        self.adopt_api_key(server.api_key)

    def close(self) -> None:
        self._transport.close()

    def query(self, document: str, variables: Optional[Dict[str, Any]] = None) -> dict:
        """Sends one document; returns its `data`, or raises StashError/StashAuthError/StashUnavailable."""
        body = json.dumps({"query": document, "variables": variables or {}}).encode("utf-8")
        read = document.lstrip().startswith("query")  # a read may be sent again after a lost answer
        return _graphql_data(self._send("POST", "/graphql", body, {"Content-Type": "application/json"}, read))

    def _send(self, method: str, target: str, body: Optional[bytes] = None,
              headers: Optional[Dict[str, str]] = None, idempotent: Optional[bool] = None) -> requests.Response:
        """One request with our credentials; keeps the session cookie Stash re-issues with its answer. Raises
        StashUnavailable when Stash did not answer, StashError for a redirect (never followed)."""
        credentials = {"ApiKey": self._api_key} if self._api_key else (
            {"Cookie": f"session={self._cookie}"} if self._cookie else {})
        try:
            response = self._transport.request(method, target, {**credentials, **(headers or {})}, body, idempotent)
        except Redirected as exc:
            raise StashError(f"Stash answered with {exc}.") from None
        except AnswerLost as exc:
            if exc.timed_out:
                raise StashAnswerLost(f"Stash at {self._server.url} did not answer within {self._timeout:g} s.") \
                    from None
            raise StashAnswerLost(f"Stash broke the connection before answering: {exc}.") from None
        except TransportError as exc:
            raise StashUnavailable(f"Stash is not reachable at {self._server.url}: {exc}.") from None
        renewed = response.cookies.get("session")
        if renewed and self._cookie:
            log.register_secret(renewed)
            self._cookie = renewed
        return response

    def adopt_api_key(self, api_key: Optional[str]) -> None:
        """Switches to the ApiKey header, which does not expire."""
        if not api_key:
            return
        log.register_secret(api_key)
        self._api_key = api_key
        self._cookie = None

    def link_for_plex(self, link: str) -> str:
        """A Stash image link Plex can fetch by itself: with `apikey=` when Stash asks for a login (the only way
        Stash authenticates a request that cannot send a header, pkg/session/session.go `ApiKeyParameter`)."""
        if not self._api_key:
            return link
        return f"{link}{'&' if '?' in link else '?'}{urlencode({'apikey': self._api_key})}"

    def clone(self) -> StashClient:
        """A client with its own connections and the same credentials (an adopted API key, the current cookie)."""
        twin = StashClient(self._server, self._timeout)
        twin._cookie = self._cookie
        twin._dated_plays = self._dated_plays
        twin.adopt_api_key(self._api_key)
        return twin

    def plugin_settings(self, plugin_id: str = queries.PLUGIN_ID) -> dict:
        """The plugin's stored settings ({} when never saved); also adopts the server's API key if it has one."""
        data = self.query(queries.PLUGIN_CONFIGURATION)
        configuration = data.get("configuration") or {}
        self.adopt_api_key((configuration.get("general") or {}).get("apiKey"))
        plugins = configuration.get("plugins") or {}
        if plugin_id in plugins:
            return plugins[plugin_id] or {}
        # Stash < 0.26 stored upper-case plugin ids lower-cased (stashapp/stash#4575).
        for key, value in plugins.items():
            if key.lower() == plugin_id.lower():
                return value or {}
        return {}

    def save_plugin_settings(self, settings: dict) -> None:
        """Replaces the plugin's stored settings map with `settings` (the caller merged it with what is saved)."""
        self.query(queries.CONFIGURE_PLUGIN, {"input": settings})

    def scenes_by_ids(self, ids: Sequence[int]) -> List[dict]:
        """The scenes that still exist among ids, in one query (the caller batches); deleted ids are absent."""
        if not ids:
            return []
        data = self.query(queries.find_scenes_by_ids(len(ids)), {f"s{i}": str(v) for i, v in enumerate(ids)})
        return [scene for scene in (data.get(f"s{i}") for i in range(len(ids))) if scene]

    def scene_pages(self, per_page: int = 250, updated_since: Optional[datetime] = None) -> Iterator[ScenePage]:
        """Every scene (or those updated after updated_since) in pages of per_page, each scene exactly once.

        `count` is the total of the first answer, for progress.
        """
        for scenes, total, page in self._keyset_walk(queries.FIND_SCENES_PAGE, per_page, updated_since, {}):
            yield ScenePage(scenes=_updated_after(scenes, updated_since), count=total, page=page)

    def scene_ids_for(self, kind: str, entity_id: int, per_page: int = 1000) -> Iterator[int]:
        """Ids of the scenes whose synced fields show this performer, tag, studio or group (paged, ascending)."""
        if kind not in _ENTITY_FILTERS:
            raise ValueError(f"kind must be one of {sorted(_ENTITY_FILTERS)}, not {kind!r}")
        extra = _ENTITY_FILTERS[kind]([str(entity_id)])
        for scenes, _, _ in self._keyset_walk(queries.FIND_SCENE_IDS, per_page, None, extra):
            yield from (int(s["id"]) for s in scenes)

    def _keyset_walk(self, document: str, per_page: int, updated_since: Optional[datetime],
                     extra_filter: Dict[str, Any]) -> Iterator[tuple[List[dict], int, int]]:
        """(scenes, first count, page number) per page. Pages are keyed on the last id seen (id > last, sorted by
        id) rather than page numbers, so scenes created or deleted while we page neither shift a scene out of the
        walk nor repeat one. A short page ends the walk only once the first count is reached: a server may cap
        per_page below ours."""
        if per_page < 1:
            raise ValueError("per_page must be positive: Stash treats -1 as 'everything in one answer'")
        last_id = seen = page = 0
        total: Optional[int] = None
        while True:
            page += 1
            variables = page_variables(per_page, last_id, updated_since)
            variables["scene_filter"].update(extra_filter)
            result = self.query(document, variables).get("findScenes") or {}
            scenes = list(result.get("scenes") or [])
            total = int(result.get("count") or 0) if total is None else total
            if not scenes:
                return
            seen += len(scenes)
            last_id = max(int(s["id"]) for s in scenes)
            yield scenes, total, page
            if len(scenes) < per_page and seen >= total:
                return

    @staticmethod
    def cover_target(screenshot_url: str) -> str:
        """The screenshot URL's path and query, asked of the address we reach Stash at (Stash may have put its
        external host in the URL)."""
        parts = urlsplit(screenshot_url)
        return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")

    def fetch_cover(self, url: str) -> Optional[Cover]:
        """The scene's cover image, or None for the SVG placeholder, a non-image answer or a login page."""
        try:
            response = self._send("GET", self.cover_target(url))
        except StashUnavailable:
            raise
        except StashError:  # a redirect: Stash sends a browser without a session to its login page
            return None
        if response.status_code == 401:
            raise StashAuthError("Stash refused the credentials when downloading a cover (HTTP 401).")
        if response.status_code == 404:
            return None
        if response.status_code >= 400:
            raise _http_error(response)
        content_type = (response.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if not content_type.startswith("image/") or content_type == "image/svg+xml" or not response.content:
            return None
        data = response.content
        return Cover(data=data, content_type=content_type, sha1=hashlib.sha1(data).hexdigest())


T = TypeVar("T")


def read_ahead(pages: Iterable[T]) -> Iterator[T]:
    """`pages`, with the next one already being fetched (in one helper thread) while the caller works on the
    current one, so Stash and the caller work at the same time. The walk's client is then used by that thread
    alone: the caller must not use the same client until the walk ends. A page is never None."""
    source = iter(pages)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="stash2plex-read-ahead") as helper:
        upcoming = helper.submit(next, source, None)
        while True:
            page = upcoming.result()
            if page is None:
                return
            upcoming = helper.submit(next, source, None)
            yield page


SCENE_PAGE = 500  # scenes per page of a whole-library walk


def walk_scenes(stash: StashSource, progress: Callable[[float], None],
                updated_since: Optional[datetime] = None) -> Iterator[ScenePage]:
    """Every scene page (`updated_since`: only those updated since), read ahead; the share walked goes to
    `progress` once the caller is done with each page."""
    for page in read_ahead(stash.scene_pages(per_page=SCENE_PAGE, updated_since=updated_since)):
        yield page
        progress(min(1.0, page.page * SCENE_PAGE / max(1, page.count)))


def page_variables(per_page: int, after_id: int, updated_since: Optional[datetime]) -> Dict[str, Any]:
    """Variables for FIND_SCENES_PAGE / FIND_SCENE_IDS: first page of the scenes with id > after_id."""
    scene_filter: Dict[str, Any] = {"id": {"value": after_id, "modifier": "GREATER_THAN"}}
    if updated_since is not None:
        scene_filter["updated_at"] = {"value": stash_local_time(updated_since - RECENT_MARGIN),
                                      "modifier": "GREATER_THAN"}
    return {
        "filter": {"page": 1, "per_page": per_page, "sort": "id", "direction": "ASC"},
        "scene_filter": scene_filter,
    }


def stash_local_time(moment: datetime) -> str:
    """Stash compares this text against RFC3339 text in its local zone: send local wall time, no offset."""
    if moment.tzinfo is not None:
        moment = moment.astimezone().replace(tzinfo=None)
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def _updated_after(scenes: List[dict], since: Optional[datetime]) -> List[dict]:
    """The precise filter the server-side text comparison cannot do (zones, margin)."""
    if since is None:
        return scenes
    cutoff = (since if since.tzinfo is not None else since.astimezone()).timestamp()
    kept = []
    for scene in scenes:
        stamp = try_parse_instant(scene.get("updated_at") if isinstance(scene.get("updated_at"), str) else None)
        if stamp is None or stamp > cutoff:
            kept.append(scene)
    return kept


def _graphql_data(response: requests.Response) -> dict:
    if response.status_code == 401:
        raise StashAuthError("Stash refused the credentials (HTTP 401): check the session or API key.")
    content_type = (response.headers.get("Content-Type") or "").lower()
    text_start = response.content[:200].lstrip().lower()
    if "html" in content_type or text_start.startswith((b"<!doctype html", b"<html")):
        raise StashAuthError("Stash answered with a login page instead of JSON: authentication failed.")
    try:
        body = json.loads(response.content)
    except ValueError:
        if response.status_code >= 400:
            raise _http_error(response) from None
        raise StashError(f"Stash answered HTTP {response.status_code} with something that is not JSON.") from None
    if not isinstance(body, dict):
        raise StashError("Stash answered with JSON that is not a GraphQL response.")
    errors = body.get("errors") or []
    if errors:
        messages = [str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in errors]
        joined = "; ".join(messages)
        if len(joined) > _MAX_ERROR_CHARS:
            joined = joined[:_MAX_ERROR_CHARS] + "..."
        kind = StashUnavailable if "database is locked" in joined.lower() else StashError
        raise kind(f"Stash GraphQL error: {joined}", messages)
    if response.status_code >= 400:
        raise _http_error(response)
    data = body.get("data")
    if not isinstance(data, dict):
        raise StashError("Stash answered without data and without an error.")
    return data


def _http_error(response: requests.Response) -> StashError:
    kind = StashUnavailable if response.status_code in (502, 503, 504) else StashError
    return kind(f"Stash answered HTTP {response.status_code} {response.reason or ''}".rstrip() + ".")
