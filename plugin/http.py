"""HTTP/1.1 on the standard library's `http.client`: one keep-alive connection per thread and server.

Every request the plugin makes to Stash and to Plex goes through `Connections` (plexapi's requests session only
makes the one `GET /` that connects). Why not requests: a first sync makes three requests per scene (the cover
from Stash, the edit and the poster to Plex), and requests' layers over http.client (preparing, merging settings
and environment, adapters, cookie jars, urllib3's pool and response) cost about three times http.client's own CPU
per request — measured side by side on loopback: ~970 µs against ~270 µs — which was most of the plugin's CPU.

What is kept of requests' behaviour: separate connect and read timeouts, connection reuse (a fresh connection when
the server closed an idle one), TLS with certifi's CAs (or unverified where the caller says so), gzip bodies.
What is left out on purpose: proxies from the environment (the plugin talks to the Stash that started it and the
Plex the user named; a proxy variable meant for the internet would only get in the way), redirects, cookie jars.

Failures that got no HTTP answer are `HttpError`s, sorted by what they mean for a retry: the server could not be
reached (`ConnectError`, `ConnectTimeout`), it was reached but did not answer in time (`ReadTimeout`), or the
connection broke before the whole answer came (`Disconnected`). An HTTP answer of any status is a `Response`.
"""

from __future__ import annotations

import gzip
import http.client
import select
import ssl
import threading
from dataclasses import dataclass
from typing import Mapping, Optional
from urllib.parse import urlsplit


class HttpError(Exception):
    """A request that got no HTTP answer; the message names the server, never a credential."""


class ConnectError(HttpError):
    """The server could not be reached: refused, unreachable, unknown name, TLS handshake failed."""


class ConnectTimeout(ConnectError):
    """No connection within the connect timeout."""


class ReadTimeout(HttpError):
    """Connected, but the answer (or the rest of it) did not come within the read timeout."""


class Disconnected(HttpError):
    """The connection broke before the whole answer came."""


@dataclass(frozen=True)
class Response:
    status: int
    reason: str
    headers: http.client.HTTPMessage  # case-insensitive `get`, and `get_all` for repeated headers
    body: bytes


class Connections:
    """Requests to one server (`base_url`, whose path, if any, prefixes every target), each thread on its own
    kept-alive connection. Thread-safe; `close` closes every thread's connection."""

    def __init__(self, base_url: str, connect_timeout: float, read_timeout: float, verify: bool = True,
                 headers: Optional[Mapping[str, str]] = None) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConnectError(f"not an http(s) address: {parts.scheme}://{parts.hostname or ''}")
        self.origin = f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port or (443 if self._https else 80)
        self._prefix = parts.path.rstrip("/")
        self._timeouts = (connect_timeout, read_timeout)
        self._context = _tls_context(verify) if self._https else None
        self.headers = {"User-Agent": "Stash2Plex", "Accept-Encoding": "gzip", **(headers or {})}
        self._local = threading.local()
        self._opened: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()

    def request(self, method: str, target: str, headers: Optional[Mapping[str, str]] = None,
                body: Optional[bytes] = None) -> Response:
        """Sends one request (`target`: path and encoded query) and reads the whole answer. A connection the
        server closed while it sat idle is replaced once, before anything of the answer arrived."""
        sent_headers = {**self.headers, **(headers or {})}
        conn = getattr(self._local, "conn", None)
        reused = conn is not None and conn.sock is not None and not _closed_by_peer(conn.sock)
        if not reused:
            conn = self._connect()
        try:
            return self._exchange(conn, method, self._prefix + target, sent_headers, body)
        except _Stale:
            if not reused:
                raise Disconnected(f"{self.origin} closed the connection without answering") from None
            return self._exchange(self._connect(), method, self._prefix + target, sent_headers, body)

    def close(self) -> None:
        with self._lock:
            opened, self._opened = self._opened, []
        for conn in opened:
            conn.close()

    def _connect(self) -> http.client.HTTPConnection:
        old = getattr(self._local, "conn", None)
        if old is not None:  # replaced: closed and forgotten, so a long drain holds only the live ones
            old.close()
            with self._lock:
                if old in self._opened:
                    self._opened.remove(old)
        connect_timeout, read_timeout = self._timeouts
        if self._https:
            conn = http.client.HTTPSConnection(self._host, self._port, timeout=connect_timeout, context=self._context)
        else:
            conn = http.client.HTTPConnection(self._host, self._port, timeout=connect_timeout)
        try:
            conn.connect()
        except TimeoutError:
            conn.close()
            raise ConnectTimeout(f"{self.origin} did not accept a connection within {connect_timeout:g} s") \
                from None
        except OSError as exc:  # refused, unreachable, unknown name; ssl.SSLError is an OSError too
            conn.close()
            raise ConnectError(f"{self.origin} could not be reached ({_reason(exc)})") from None
        conn.sock.settimeout(read_timeout)
        self._local.conn = conn
        with self._lock:
            self._opened.append(conn)
        return conn

    def _exchange(self, conn: http.client.HTTPConnection, method: str, target: str, headers: dict,
                  body: Optional[bytes]) -> Response:
        answered = False
        try:
            conn.request(method, target, body=body, headers=headers)
            reply = conn.getresponse()
            answered = True
            data = reply.read()
        except TimeoutError:
            conn.close()
            raise ReadTimeout(f"{self.origin} did not answer within {self._timeouts[1]:g} s") from None
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as exc:
            conn.close()
            if not answered:
                raise _Stale() from None
            raise Disconnected(f"{self.origin} broke the connection mid-answer ({_reason(exc)})") from None
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            raise Disconnected(f"{self.origin} broke the connection ({_reason(exc)})") from None
        if reply.getheader("Content-Encoding", "").strip().lower() == "gzip":
            try:
                data = gzip.decompress(data)
            except (OSError, EOFError) as exc:
                raise Disconnected(f"{self.origin} sent a broken gzip body ({_reason(exc)})") from None
        return Response(reply.status, reply.reason, reply.headers, data)


class _Stale(Exception):
    """The connection was gone before any of the answer came: safe to send again on a fresh one."""


def _closed_by_peer(sock) -> bool:
    """Whether an idle kept-alive connection became readable: the server closed it (or broke it)."""
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


def _tls_context(verify: bool) -> ssl.SSLContext:
    if not verify:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    import certifi  # requests' own CA bundle: the same trust as before, and present where system CAs are not

    return ssl.create_default_context(cafile=certifi.where())


def _reason(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}" if text != type(exc).__name__ else text
