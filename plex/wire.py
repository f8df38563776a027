"""One Plex server on the wire: every request the plugin makes to it, on `plugin.transport` (requests).

plexapi connects (one `GET /` on the transport's session, which checks the address and the token and learns the
server's name); each request after it goes out with the headers plexapi would send (token, client identifier,
product, platform) and the same (connect, read) timeouts. So the status code is always seen (plexapi raises
TypeError for codes it has no name for, e.g. 520), no request hides a second one, and every failure is a
classified `PlexError`.
"""

from __future__ import annotations

from typing import Callable, Optional
from xml.etree import ElementTree

from plex.errors import PlexAnswerLost, classify, for_status
from plugin.transport import Transport, TransportError

CHECKED_SENDS = 3  # sends of one change whose answers may all be lost before the caller is told


class PlexWire:
    """Requests to one Plex server; thread-safe (each thread has its own session)."""

    def __init__(self, transport: Transport, token: str, headers: dict[str, str]) -> None:
        self._token = token
        self.transport = transport
        self._headers = {**headers, "X-Plex-Token": token}

    def request(self, method: str, key: str, headers: Optional[dict] = None, data: Optional[bytes] = None,
                idempotent: Optional[bool] = None) -> bytes:
        """Sends one request to `key` (path plus encoded query) and returns the body; raises a PlexError.
        `idempotent=False` for a GET that changes state (see `Transport.request`)."""
        try:
            response = self.transport.request(method, key, {**self._headers, **(headers or {})}, data, idempotent)
        except TransportError as exc:
            raise classify(exc, self._token) from None
        if response.status_code not in (200, 201, 204):
            text = response.content[:200].decode("utf-8", "replace")
            raise for_status(response.status_code, f"{method} {key.split('?', 1)[0]}", text, self._token)
        return response.content

    def request_checked(self, method: str, key: str, landed: Callable[[], bool], data: Optional[bytes] = None) -> None:
        """A request that must not be applied twice (a poster POST, a scrobble): never resent by the transport, and
        after a lost answer (`PlexAnswerLost`) sent again only when `landed()`, which reads Plex, says the change
        is not there. Raises the last PlexAnswerLost after CHECKED_SENDS sends whose changes never showed."""
        for _ in range(CHECKED_SENDS):
            try:
                self.request(method, key, data=data, idempotent=False)
                return
            except PlexAnswerLost as exc:
                lost = exc
            if landed():
                return
        raise lost

    def request_xml(self, method: str, key: str, headers: Optional[dict] = None) -> ElementTree.Element:
        """`request` for endpoints that answer a MediaContainer; garbled XML is a transient failure."""
        body = self.request(method, key, headers)
        try:
            return ElementTree.fromstring(body)
        except ElementTree.ParseError as exc:
            raise classify(exc, self._token) from None

    def close(self) -> None:
        self.transport.close()
