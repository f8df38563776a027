"""A tiny PMS stand-in on 127.0.0.1 serving the real recorded XML from ../shared/plex-fixtures.

Used until (and beside) the Plex simulator: it checks our parsing against real PMS output, counts requests,
and can stall its answers to prove the read timeout is really applied.
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from simulators.shared import plex_fixture
from tests.fixtures.shared import shared_or_skip

TOKEN = "fixture-token-XYZ"


def fixture(name: str) -> bytes:
    return shared_or_skip(lambda: plex_fixture(name)).read_bytes()


class FixturePlex:
    """Routes: /, /library/sections, /library/sections/{k}/all (first page only), /library/metadata/134703."""

    def __init__(self) -> None:
        self.root = fixture("server_root.xml")
        self.sections = fixture("library_sections.xml")
        self.page = fixture("library_sections_1_all_page.xml")
        self.movie = fixture("library_metadata_movie.xml")
        self.requests: list[tuple[str, str, dict]] = []
        self.stall_seconds = 0.0
        self.stall_body = False
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                owner._handle(self, "GET")

            def do_PUT(self):
                owner._handle(self, "PUT")

            def do_POST(self):
                owner._handle(self, "POST")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def _route(self, method: str, path: str, query: dict, headers: dict) -> tuple[int, bytes]:
        if headers.get("X-Plex-Token") != TOKEN:
            return 401, b"<html>Unauthorized</html>"
        if path == "/":
            return 200, self.root
        if path == "/library/sections":
            return 200, self.sections
        if path.startswith("/library/sections/") and path.endswith("/all") and method == "GET":
            if "file" in query:
                return 200, self.page
            start = int(headers.get("X-Plex-Container-Start", "0"))
            if start == 0:
                return 200, self.page
            return 200, b'<MediaContainer size="0" totalSize="358" offset="%d"/>' % start
        if path == "/library/metadata/134703":
            return 200, self.movie
        return 404, b"<html>Not Found</html>"

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        if length:
            handler.rfile.read(length)
        headers = dict(handler.headers.items())
        self.requests.append((method, handler.path, headers))
        status, body = self._route(method, parts.path, parse_qs(parts.query), headers)
        if self.stall_seconds and not self.stall_body:
            time.sleep(self.stall_seconds)
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "text/xml;charset=utf-8")
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            if self.stall_seconds and self.stall_body:
                handler.wfile.flush()
                time.sleep(self.stall_seconds)
            handler.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass
