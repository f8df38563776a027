"""One Plex server on the wire: every request the plugin makes to it after connecting.

plexapi connects (one `GET /` on its requests session, which checks the address and the token and learns the
server's name); from then on each request goes out on the plugin's own keep-alive connections
(`plugin.http.Connections`), with the headers plexapi would send (token, client identifier, product, platform)
and the same (connect, read) timeouts. So the status code is always seen (plexapi raises TypeError for codes it
has no name for, e.g. 520), no request hides a second one, and every failure is a classified `PlexError`.
"""

from __future__ import annotations

from typing import Any, Optional
from xml.etree import ElementTree

from plex.errors import classify, for_status
from plugin.http import Connections, HttpError


class PlexWire:
    """Requests to one Plex server; thread-safe (each thread has its own connection)."""

    def __init__(self, base_url: str, token: str, headers: dict[str, str], timeouts: tuple[float, float],
                 verify: bool = True) -> None:
        self._token = token
        self._connections = Connections(base_url, timeouts[0], timeouts[1], verify=verify,
                                        headers={**headers, "X-Plex-Token": token})

    @classmethod
    def of(cls, server: Any) -> PlexWire:
        """The wire of a connected plexapi `PlexServer`: its address, token, headers, timeouts, TLS checking."""
        timeout = server._timeout
        timeouts = timeout if isinstance(timeout, tuple) else (timeout, timeout)
        verify = getattr(server._session, "verify", True) is not False
        return cls(server._baseurl, server._token, server._headers(), timeouts, verify)

    def request(self, method: str, key: str, headers: Optional[dict] = None, data: Optional[bytes] = None) -> bytes:
        """Sends one request to `key` (path plus encoded query) and returns the body; raises a PlexError."""
        try:
            response = self._connections.request(method, key, headers, data)
        except HttpError as exc:
            raise classify(exc, self._token) from None
        if response.status not in (200, 201, 204):
            text = response.body[:200].decode("utf-8", "replace")
            raise for_status(response.status, f"{method} {key.split('?', 1)[0]}", text, self._token)
        return response.body

    def request_xml(self, method: str, key: str, headers: Optional[dict] = None) -> ElementTree.Element:
        """`request` for endpoints that answer a MediaContainer; garbled XML is a transient failure."""
        body = self.request(method, key, headers)
        try:
            return ElementTree.fromstring(body)
        except ElementTree.ParseError as exc:
            raise classify(exc, self._token) from None

    def close(self) -> None:
        self._connections.close()
