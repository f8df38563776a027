"""One PlexServer per drain: persistent client identifier, one session, connect and read timeouts that apply.

plexapi takes a single `timeout` and hands it unchanged to `requests` on every call (server.py `query`:
`timeout = timeout or self._timeout`), so a (connect, read) tuple gives both limits. The client identifier
is stored by the caller: a new one per process would make Plex list a "new device" on every hook.
"""

from __future__ import annotations

import ipaddress
import uuid
from typing import Any
from urllib.parse import urlsplit

from plex.errors import classify

PRODUCT = "Stash2Plex"


def new_client_id() -> str:
    """A fresh identifier, generated once and kept in the database by the caller."""
    return f"stash2plex-{uuid.uuid4().hex}"


def is_loopback(url: str) -> bool:
    """Whether the URL names this machine (then proxy environment variables must not apply)."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def connect(url: str, token: str, connect_timeout: float, read_timeout: float, client_id: str) -> Any:
    """Returns a connected plexapi PlexServer (one `GET /`); raises a classified PlexError."""
    import plexapi
    import requests

    # server.py bound BASE_HEADERS at import: only an in-place update reaches its requests.
    plexapi.BASE_HEADERS["X-Plex-Client-Identifier"] = client_id
    plexapi.BASE_HEADERS["X-Plex-Product"] = PRODUCT
    from plexapi.server import PlexServer

    session = requests.Session()
    if is_loopback(url):
        session.trust_env = False
    try:
        return PlexServer(url.rstrip("/"), token, session=session, timeout=(connect_timeout, read_timeout))
    except Exception as exc:
        session.close()
        raise classify(exc, token) from None
