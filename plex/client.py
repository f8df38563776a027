"""One Plex server, as the worker uses it: the plugin's Plex requests, each one method (`PlexApi`).

plexapi connects (one `GET /` on the wire's own session, so with its TLS trust, no proxies and no redirects
followed), which checks the address and the token; every request after it goes through `plex.wire` so the status
code is seen and every failure is a classified `PlexError`. plexapi takes a single `timeout` and hands it to
`requests` (server.py `query`), so a (connect, read) tuple gives both limits, as the wire does. The client
identifier is stored by the caller: a new one per process would make Plex list a new device on every run.
"""

from __future__ import annotations

import uuid
from typing import Any, Iterator, Optional, Protocol, Sequence
from urllib.parse import quote_plus

from plex import playstate, push, sections
from plex.errors import PlexError, classify
from plex.sections import SectionInfo
from plex.wire import PlexWire
from sync_queue.index import PlexItemRecord, PlexPart

PRODUCT = "Stash2Plex"


class PlexApi(Protocol):
    """Every kind of request the plugin sends to Plex (tests substitute an in-memory server)."""

    def sections(self, wanted_titles: Sequence[str]) -> tuple[list[SectionInfo], list[str]]: ...

    def section_items(self, section: SectionInfo) -> Iterator[PlexItemRecord]: ...

    def find_by_file(self, section_key: int, path: str) -> list[PlexPart]: ...

    def read_item(self, rating_key: int) -> dict: ...

    def edit(self, rating_key: int, section_id: int, params: dict[str, str]) -> None: ...

    def upload_poster(self, rating_key: int, data: bytes) -> None: ...

    def mark_played(self, rating_key: int, views_before: int) -> None: ...

    def set_progress(self, rating_key: int, offset_ms: int) -> None: ...

    def ping(self) -> None: ...

    def token_owns_server(self) -> bool: ...

    def scan_folder(self, section_key: int, folder: str) -> None: ...

    def close(self) -> None: ...


class PlexClient:
    """`PlexApi` over a connected plexapi PlexServer: its name from plexapi, every request on its wire."""

    def __init__(self, server: Any, wire: PlexWire) -> None:
        self.server = server
        self.wire = wire

    @property
    def name(self) -> str:
        return f"{getattr(self.server, 'friendlyName', '?')} (version {getattr(self.server, 'version', '?')})"

    @property
    def machine_identifier(self) -> str | None:
        """The server's id from the connect's `GET /` (what Plex Web's item links name the server by)."""
        return getattr(self.server, "machineIdentifier", None)

    def sections(self, wanted_titles: Sequence[str]) -> tuple[list[SectionInfo], list[str]]:
        return sections.list_sections(self.wire, wanted_titles)

    def section_items(self, section: SectionInfo) -> Iterator[PlexItemRecord]:
        return sections.iter_section_items(self.wire, section)

    def find_by_file(self, section_key: int, path: str) -> list[PlexPart]:
        return sections.find_by_file(self.wire, section_key, path)

    def read_item(self, rating_key: int) -> dict:
        return push.read_item(self.wire, rating_key)

    def edit(self, rating_key: int, section_id: int, params: dict[str, str]) -> None:
        push.edit(self.wire, rating_key, section_id, params)

    def upload_poster(self, rating_key: int, data: bytes) -> None:
        push.upload_poster(self.wire, rating_key, data)

    def mark_played(self, rating_key: int, views_before: int) -> None:
        playstate.mark_played(self.wire, rating_key, views_before)

    def set_progress(self, rating_key: int, offset_ms: int) -> None:
        playstate.set_progress(self.wire, rating_key, offset_ms)

    def ping(self) -> None:
        self.wire.request("GET", "/identity")

    def token_owns_server(self) -> bool:
        """Whether the token is the server owner's, whom alone PMS lets edit metadata: `/accounts` (plexapi
        `server.py` `_systemAccounts`) answers the owner and refuses a shared user's token (403, home-assistant/core
        #181394; 401 in its `plex/server.py` handler). Other failures are raised."""
        try:
            self.wire.request("GET", "/accounts")
        except PlexError as exc:
            if exc.status in (401, 403):
                return False
            raise
        return True

    def scan_folder(self, section_key: int, folder: str) -> None:
        """Asks Plex to scan one folder of a section for new files, as plexapi's `LibrarySection.update(path=)`
        does (library.py:851-860: GET /library/sections/{key}/refresh?path=<quote_plus(folder)>). PMS answers at
        once and scans in the background; asking again only scans again (idempotent)."""
        self.wire.request("GET", f"/library/sections/{section_key}/refresh?path={quote_plus(folder)}")

    def close(self) -> None:
        self.wire.close()  # plexapi's session is one of the wire's


def new_client_id() -> str:
    """A fresh identifier, generated once and kept in the database by the caller."""
    return f"stash2plex-{uuid.uuid4().hex}"


def connect(url: str, token: str, connect_timeout: float, read_timeout: float, client_id: str,
            verify_tls: bool = True, ca_file: Optional[str] = None) -> PlexClient:
    """A connected client (one `GET /`); raises a classified PlexError. `verify_tls` off trusts any certificate
    (unsafe); `ca_file` adds a CA to the system's and certifi's."""
    import plexapi

    from plugin.transport import Transport, TransportError, tls_context

    # server.py bound BASE_HEADERS at import: only an in-place update reaches its requests.
    plexapi.BASE_HEADERS["X-Plex-Client-Identifier"] = client_id
    plexapi.BASE_HEADERS["X-Plex-Product"] = PRODUCT
    from plexapi.server import PlexServer

    timeouts = (connect_timeout, read_timeout)
    try:
        https = url.lower().startswith("https:")
        transport = Transport(url, timeouts, tls_context(verify_tls, ca_file) if https else None)
    except TransportError as exc:
        raise classify(exc, token) from None
    try:
        server = PlexServer(url.rstrip("/"), token, session=transport.session(), timeout=timeouts)
    except Exception as exc:
        transport.close()
        raise classify(transport.failure(exc) or exc, token) from None
    return PlexClient(server, PlexWire(transport, token, server._headers()))
