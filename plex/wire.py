"""Raw requests on plexapi's session, for the calls where plexapi would add hidden GETs or hide the status.

Going around `PlexServer.query` keeps the same session, headers (token, client identifier) and timeouts,
but lets us see the status code (plexapi raises TypeError for codes it has no name for, e.g. 520) and
raise classified errors directly.
"""

from __future__ import annotations

from typing import Any, Optional
from xml.etree import ElementTree

from plex.errors import classify, for_status


def request(
    server: Any,
    method: str,
    key: str,
    headers: Optional[dict] = None,
    data: Optional[bytes] = None,
) -> bytes:
    """Sends one request to `key` (path plus encoded query) and returns the body; raises a PlexError."""
    token = getattr(server, "_token", None)
    try:
        response = server._session.request(
            method,
            server._baseurl + key,
            headers=server._headers(**(headers or {})),
            data=data,
            timeout=server._timeout,
        )
        body = response.content
    except Exception as exc:
        raise classify(exc, token) from None
    if response.status_code not in (200, 201, 204):
        text = body[:200].decode("utf-8", "replace")
        raise for_status(response.status_code, f"{method} {key.split('?', 1)[0]}", text, token)
    return body


def request_xml(server: Any, method: str, key: str, headers: Optional[dict] = None) -> ElementTree.Element:
    """`request` for endpoints that answer a MediaContainer; garbled XML is a transient failure."""
    body = request(server, method, key, headers)
    try:
        return ElementTree.fromstring(body)
    except ElementTree.ParseError as exc:
        raise classify(exc, getattr(server, "_token", None)) from None
