"""The socket side: a threaded HTTP/1.1 server that can close its listening socket and reopen it on the same port.

Keep-alive matters (plexapi reuses one requests session), so every reply carries Content-Length. Refusing
connections must be real: the listening socket is closed *and* open keep-alive connections are shut down, or a
client would keep talking over its pooled connection and never see the outage.
"""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable

SLOW_SLICES = 4  # a slow reply is written in this many slices, each after an equal pause


@dataclass
class Reply:
    status: int
    content_type: str
    body: bytes
    slow_s: float = 0.0
    drop: bool = False  # applied, then the connection is closed without an answer (Faults.drop_after_apply)


App = Callable[[str, str, dict, bytes], Reply]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        """Headers and body leave in separate writes; without TCP_NODELAY, Nagle plus the client's delayed ACK
        would add ~40 ms to every keep-alive reply, far more than the latency we inject on purpose."""
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k: v for k, v in self.headers.items()}
        try:
            reply = self.server.app(self.command, self.path, headers, body)
        except Exception as exc:  # a simulator bug must still answer, or the client would hang until its timeout
            reply = Reply(500, "text/plain", f"simulator error: {type(exc).__name__}".encode())
        if reply.drop:
            self.close_connection = True
            return
        try:
            self._write(reply)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        if self.server.closing:
            self.close_connection = True

    do_PUT = do_POST = do_DELETE = do_GET

    def _write(self, reply: Reply) -> None:
        """Writes the reply; when slow, the headers and each body slice wait ``slow_s / SLOW_SLICES`` first, so a
        client read timeout shorter than one pause fires before the headers arrive."""
        pause = reply.slow_s / SLOW_SLICES if reply.slow_s > 0 else 0.0
        if pause:
            time.sleep(pause)
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        if not pause:
            self.wfile.write(reply.body)
            return
        step = max(1, -(-len(reply.body) // (SLOW_SLICES - 1)))
        for start in range(0, len(reply.body), step):
            time.sleep(pause)
            self.wfile.write(reply.body[start:start + step])
            self.wfile.flush()

    def log_message(self, format: str, *args: object) -> None:
        """Silent: the default access log would print request lines, which may carry a token."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024  # PMS listens with a system-sized backlog, not socketserver's 5
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], app: App) -> None:
        self.app = app
        self.closing = False
        self._connections: dict[socket.socket, int] = {}
        self._conn_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request_thread(self, request, client_address) -> None:  # type: ignore[override]
        with self._conn_lock:
            self._connections[request] = threading.get_ident()
        super().process_request_thread(request, client_address)

    def shutdown_request(self, request) -> None:  # type: ignore[override]
        with self._conn_lock:
            self._connections.pop(request, None)
        super().shutdown_request(request)

    def handle_error(self, request, client_address) -> None:  # type: ignore[override]
        """Clients that hang up mid-reply (timeouts, refused windows) are normal here, not worth a traceback."""
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)

    def drop_connections(self) -> None:
        """Shuts every open connection except the caller's own (a control request that closes the listener
        still gets its answer, then its connection closes)."""
        me = threading.get_ident()
        with self._conn_lock:
            others = [s for s, owner in self._connections.items() if owner != me]
        for sock in others:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class Listener:
    """Owns the listening socket; ``close()``/``open()`` can be repeated and always reuse the first port."""

    def __init__(self, app: App, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self.host = host
        self.port = port
        self._server: _Server | None = None
        self._lock = threading.Lock()

    def open(self) -> None:
        with self._lock:
            if self._server is not None:
                return
            server = _Server((self.host, self.port), self.app)
            self.port = server.server_address[1]
            thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True,
                                      name=f"plex-sim-{self.port}")
            thread.start()
            self._server = server

    def close(self) -> None:
        with self._lock:
            server, self._server = self._server, None
        if server is None:
            return
        server.closing = True
        server.shutdown()
        server.server_close()
        server.drop_connections()

    @property
    def is_open(self) -> bool:
        return self._server is not None
