"""HTTP front of the simulator: /graphql, scene covers, the login page and the /_sim/ control endpoints.

Unauthenticated requests are answered as Stash answers them: 401 for /graphql, a 302 to /login for pages and
images, so a client that forgets its credentials gets an HTML page instead of an image.
"""

from __future__ import annotations

import json
import re
import socket
import ssl
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from simulators.stash.api import RequestContext, StashApi
from simulators.stash.auth import Auth
from simulators.stash.covers import PLACEHOLDER_SVG
from simulators.stash.plugins import PluginHost

_SCREENSHOT = re.compile(r"^/scene/(\d+)/screenshot$")
_PERFORMER_IMAGE = re.compile(r"^/performer/(\d+)/image$")
LOGIN_HTML = (b"<!DOCTYPE html><html><head><title>Login | Stash</title></head><body>"
              b'<form method="POST" action="/login"><input name="username"><input name="password" type="password">'
              b'<button type="submit">Login</button></form></body></html>\n')


CONTROL_HEADER = "X-Sim-Control"  # marks the simulator's own helper requests (see api.RequestContext)


class Stats:
    """Request counts by GraphQL operation name (or route), for tests and benchmarks."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter = Counter()

    def add(self, key: str) -> None:
        with self._lock:
            self._counts[key] += 1

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()


class StashHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024  # Go's net/http listens with the system's backlog (SOMAXCONN), not socketserver's 5

    def __init__(self, address, api: StashApi, auth: Auth, host: PluginHost, stats: Stats,
                 tls: ssl.SSLContext | None = None) -> None:
        super().__init__(address, _Handler)
        self.api, self.auth, self.host, self.stats = api, auth, host, stats
        self.scheme = "https" if tls else "http"
        if tls:
            self.socket = tls.wrap_socket(self.socket, server_side=True)


class _Handler(BaseHTTPRequestHandler):
    server: StashHTTPServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # requests are counted, not printed
        return

    def setup(self) -> None:
        """Headers and body leave in separate writes; without TCP_NODELAY (which Go's net/http sets on every
        connection), Nagle plus the client's delayed ACK would hold every body ~40 ms: a cover download would
        take 40 ms here and a millisecond from a real Stash."""
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    # -- responses ------------------------------------------------------------------------------------------
    def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        auth = self.server.auth
        if auth.required and not self._by_api_key() and auth.session_of(self.headers):  # Stash re-issues it
            self.send_header("Set-Cookie", f"session={auth.new_session()}; Path=/; Max-Age="
                                           f"{int(auth.max_session_age)}; HttpOnly")
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, payload: Any) -> None:
        self._send(status, json.dumps(payload, ensure_ascii=False).encode("utf-8"), "application/json")

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _by_api_key(self) -> bool:
        return bool(self.server.auth.api_key) and self.headers.get("ApiKey") == self.server.auth.api_key

    def _authorized(self) -> bool:
        return self.server.auth.accepts(self.headers, urlsplit(self.path).query)

    def _base_url(self) -> str:
        host = self.headers.get("Host") or f"127.0.0.1:{self.server.server_address[1]}"
        return f"{self.server.scheme}://{host}"

    def _redirect_to_login(self, path: str) -> None:
        self._send(302, b"", "text/html; charset=utf-8", {"Location": f"/login?returnURL={quote(path, safe='')}"})

    # -- routes ---------------------------------------------------------------------------------------------
    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        path = parts.path
        if path.startswith("/_sim/"):
            self._control_get(path)
            return
        if path == "/login":
            self._send(200, LOGIN_HTML, "text/html; charset=utf-8")
            return
        if path == "/graphql":
            self.server.stats.add("GET /graphql")
            self._send(405, b"GET not supported\n", "text/plain")
            return
        for pattern, counted, answer in ((_SCREENSHOT, "GET /scene/screenshot", self._screenshot),
                                         (_PERFORMER_IMAGE, "GET /performer/image", self._performer_image)):
            match = pattern.match(path)
            if match:
                self.server.stats.add(counted)
                if self._authorized():
                    answer(match.group(1))
                else:
                    self._redirect_to_login(self.path)
                return
        if not self._authorized():
            self._redirect_to_login(self.path)
            return
        self._send(404, b"404 page not found\n", "text/plain; charset=utf-8")

    do_HEAD = do_GET

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        body = self._body()
        if path == "/graphql":
            self._graphql(body)
        elif path == "/login":
            self._login(body)
        elif path == "/_sim/reset-stats":
            self.server.stats.reset()
            self._json(200, {"ok": True})
        else:
            self._send(404, b"404 page not found\n", "text/plain; charset=utf-8")

    def _graphql(self, raw: bytes) -> None:
        if not self._authorized():
            self.server.stats.add("401 /graphql")
            self._send(401, b"401 Unauthorized\n", "text/plain; charset=utf-8")
            return
        try:
            body = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            self.server.stats.add("<invalid>")
            self._json(400, {"errors": [{"message": f"json request body could not be decoded: {exc}"}],
                             "data": None})
            return
        api = self.server.api
        self.server.stats.add(api.operation_key(body) if isinstance(body, dict) else "<invalid>")
        control = self.headers.get(CONTROL_HEADER) == "1"
        status, payload = api.handle(body, RequestContext(base_url=self._base_url(), control=control))
        self._json(status, payload)

    def _screenshot(self, scene_id: str) -> None:
        store = self.server.api.store
        if store.scene(scene_id) is None:
            self._send(404, b"404 page not found\n", "text/plain; charset=utf-8")
            return
        image = store.cover(scene_id)
        if image is None:
            self._send(200, PLACEHOLDER_SVG, "image/svg+xml")
        else:
            self._send(200, image, "image/jpeg", {"Cache-Control": "no-cache"})

    def _performer_image(self, performer_id: str) -> None:
        """A performer's image, or Stash's placeholder when it has none (what `&default=true` links to)."""
        performer = self.server.api.store.performer(performer_id)
        if performer is None:
            self._send(404, b"404 page not found\n", "text/plain; charset=utf-8")
        elif performer.get("has_image"):
            self._send(200, b"\xff\xd8\xff\xe0 performer " + performer_id.encode() + b"\xff\xd9", "image/jpeg")
        else:
            self._send(200, PLACEHOLDER_SVG, "image/svg+xml")

    def _login(self, raw: bytes) -> None:
        form = parse_qs(raw.decode("utf-8", "replace"))
        session = self.server.auth.login(form.get("username", [""])[0], form.get("password", [""])[0])
        if session is None:
            self._send(401, b"Invalid credentials\n", "text/plain; charset=utf-8")
            return
        self._send(302, b"", "text/html; charset=utf-8",
                   {"Location": "/", "Set-Cookie": f"session={session}; Path=/; Max-Age=3600; HttpOnly"})

    def _control_get(self, path: str) -> None:
        if path == "/_sim/runs":
            self._json(200, [r.to_json() for r in list(self.server.host.runs)])
        elif path == "/_sim/stats":
            self._json(200, self.server.stats.snapshot())
        elif path == "/_sim/log":
            self._json(200, [list(x) for x in list(self.server.host.log)])
        else:
            self._send(404, b"404 page not found\n", "text/plain; charset=utf-8")
