"""Every failure talking to Plex, sorted into the five classes the worker has a retry policy for.

The worker decides wait / retry / dead-letter from the class alone, so the mapping lives here, next to the
HTTP code, and the messages are safe to log or store: plexapi and requests (which connect) put URLs into their
messages, and a URL built with `includeToken` or a proxy error can carry the token.
"""

from __future__ import annotations

import re
from typing import Optional

from plugin.errors import PluginError
from plugin.log import MASK, redact

_MAX_MESSAGE = 400
_QUERY = re.compile(r"\?[^\s'\")\]]*")
_STATUS = re.compile(r"^\((\d{3})\)")


class PlexError(PluginError):
    """Base of all classified Plex failures; `message` is already scrubbed of secrets."""

    def __init__(self, message: str, status: Optional[int] = None) -> None:
        super().__init__(message)
        self.status = status


class PlexDown(PlexError):
    """Plex is not reachable or its proxy says so: wait for it, never spend a job's attempts."""


class PlexUnauthorized(PlexError):
    """The token was rejected: nothing will work until the user fixes the setting."""


class PlexMisconfigured(PlexUnauthorized):
    """Plex's address cannot work as set (it redirects, or its certificate is not trusted): as with a refused
    token, nothing will work until the user fixes a setting, so the worker stops the same way."""


class PlexNotFound(PlexError):
    """The item or section is gone (deleted, or the library was re-scanned under new keys)."""


class PlexTransient(PlexError):
    """Plex answered badly this time (timeout, 5xx, rate limit, garbled XML): retry with backoff."""


class PlexAnswerLost(PlexTransient):
    """The request was sent and its answer lost (timed out, or the connection broke): Plex may have applied it.
    Idempotent requests were resent once already; a poster or a play is first checked (`plex.push`,
    `plex.playstate`), never resent blindly."""


class PlexPermanent(PlexError):
    """Plex refused the request itself (bad field, bad value): retrying sends the same refusal."""


class PlexTooLong(PlexPermanent):
    """The request line was too long for Plex or a proxy in front of it (413/414/431): send less."""


def scrub(text: str, token: Optional[str] = None) -> str:
    """Secrets masked as every log line is (`plugin.log.redact`, plus `token` even if never registered), query
    strings dropped (they carry edit values and could carry a token), and the message kept short."""
    text = redact(text.replace(token, MASK) if token else text)
    text = _QUERY.sub("", text)
    text = " ".join(text.split())
    if len(text) > _MAX_MESSAGE:
        text = text[: _MAX_MESSAGE - 3] + "..."
    return text


def for_status(status: int, where: str, body: str = "", token: Optional[str] = None) -> PlexError:
    """The class for an HTTP status Plex (or a proxy in front of it) answered with."""
    detail = scrub(f"HTTP {status} from Plex for {where}" + (f": {body}" if body else ""), token)
    if status == 401:
        return PlexUnauthorized("Plex rejected the token (HTTP 401); check the plex_token setting", status)
    if status == 404:
        return PlexNotFound(detail, status)
    if status in (502, 503, 504):
        return PlexDown(detail, status)
    if status in (413, 414, 431):
        return PlexTooLong(detail, status)
    if status == 429 or status >= 500:
        return PlexTransient(detail, status)
    return PlexPermanent(detail, status)


def classify(exc: BaseException, token: Optional[str] = None) -> PlexError:
    """Maps any exception raised while talking to Plex onto a PlexError subclass (idempotent). Transport failures
    arrive as `plugin.transport` classes (`Transport.failure` sorts requests' own, e.g. from plexapi's connect)."""
    if isinstance(exc, PlexError):
        return exc
    from xml.etree.ElementTree import ParseError

    from plugin import transport

    name = type(exc).__name__
    text = scrub(str(exc), token)
    if isinstance(exc, transport.Redirected):
        return PlexMisconfigured(f"Plex's address redirects: {text}", exc.status)
    if isinstance(exc, transport.Untrusted):
        return PlexMisconfigured(f"Plex's TLS certificate is not trusted: {text}. Set plex_ca_file to the CA "
                                 "that signed it (or, unsafe, turn plex_verify_tls off)")
    if isinstance(exc, transport.Unreachable):
        return PlexDown(f"Plex is not reachable: {text}")
    if isinstance(exc, transport.AnswerLost):
        return PlexAnswerLost(f"{'Plex was too slow to answer' if exc.timed_out else 'No answer from Plex'}: {text}")
    if isinstance(exc, transport.TransportError):  # a CA file that cannot be read
        return PlexMisconfigured(f"Plex cannot be reached as set: {text}")
    if isinstance(exc, ParseError):
        return PlexTransient(f"Plex answered with something that is not XML: {text}")
    plexapi_error = _classify_plexapi(exc, text)
    if plexapi_error is not None:
        return plexapi_error
    return PlexTransient(f"Unexpected error talking to Plex ({name}): {text}")


def _classify_plexapi(exc: BaseException, text: str) -> Optional[PlexError]:
    """plexapi folds the status into its message as "(NNN) reason; url body"."""
    from plexapi import exceptions as px

    if isinstance(exc, px.Unauthorized):
        return PlexUnauthorized("Plex rejected the token (HTTP 401); check the plex_token setting", 401)
    if isinstance(exc, px.NotFound):
        return PlexNotFound(f"Not found in Plex: {text}", 404)
    if isinstance(exc, px.BadRequest):
        found = _STATUS.match(str(exc))
        if found:
            return for_status(int(found.group(1)), "a request", text)
        return PlexPermanent(f"Plex refused the request: {text}")
    if isinstance(exc, px.PlexApiException):
        return PlexPermanent(f"plexapi refused the request: {text}")
    return None
