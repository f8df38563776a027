"""The plugin's HTTP connections against a real HTTP/1.1 server on 127.0.0.1: reuse, a server that drops an idle
connection, timeouts, refusals, gzip, one connection per thread."""

from __future__ import annotations

import gzip
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from plugin.http import ConnectError, Connections, ReadTimeout

pytestmark = pytest.mark.e2e  # a server on 127.0.0.1


class _Server:
    """Answers `GET <path>` with the path as its body, over kept-alive connections; records which connection
    (client port) each request came on. `/drop` answers, then closes the connection without saying so (as a
    server does to an idle connection); `/slow` waits `stall_s` first; `/gzip` answers gzip-encoded."""

    def __init__(self) -> None:
        self.ports: list[int] = []
        self.stall_s = 0.0
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                server.ports.append(self.client_address[1])
                if self.path.endswith("/slow"):
                    time.sleep(server.stall_s)
                body = self.path.encode()
                encoded = gzip.compress(body) if self.path.endswith("/gzip") else body
                self.send_response(200)
                if encoded is not body:
                    self.send_header("Content-Encoding", "gzip")
                self.send_header("Content-Length", str(len(encoded)))
                self.end_headers()
                self.wfile.write(encoded)
                self.wfile.flush()
                if self.path.endswith("/drop"):
                    self.close_connection = True

            def log_message(self, *args) -> None:
                return

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        threading.Thread(target=self._httpd.serve_forever, args=(0.02,), daemon=True).start()

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


@pytest.fixture
def server():
    running = _Server()
    yield running
    running.close()


def test_requests_of_one_thread_share_one_kept_alive_connection(server) -> None:
    http = Connections(server.url, 2.0, 2.0)
    bodies = [http.request("GET", f"/item/{i}").body for i in range(5)]
    assert bodies == [f"/item/{i}".encode() for i in range(5)]
    assert len(set(server.ports)) == 1
    http.close()


def test_a_connection_the_server_dropped_is_replaced_before_the_next_request(server) -> None:
    http = Connections(server.url, 2.0, 2.0)
    assert http.request("GET", "/drop").status == 200
    time.sleep(0.1)  # the server has closed its end
    assert http.request("GET", "/after").body == b"/after"
    assert len(set(server.ports)) == 2
    http.close()


def test_each_thread_has_its_own_connection_and_close_closes_them_all(server) -> None:
    http = Connections(server.url, 2.0, 2.0)
    threads = [threading.Thread(target=lambda: [http.request("GET", "/t") for _ in range(3)]) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(server.ports) == 9 and len(set(server.ports)) == 3
    http.close()
    assert http.request("GET", "/again").status == 200  # a closed connection is reopened
    assert len(set(server.ports)) == 4
    http.close()


def test_base_path_prefixes_every_target_and_gzip_bodies_arrive_decoded(server) -> None:
    http = Connections(server.url + "/plex/", 2.0, 2.0)
    assert http.request("GET", "/library/gzip").body == b"/plex/library/gzip"
    http.close()


def test_an_answer_slower_than_the_read_timeout_is_a_read_timeout(server) -> None:
    server.stall_s = 1.0
    http = Connections(server.url, 2.0, 0.2)
    with pytest.raises(ReadTimeout, match="did not answer within 0.2 s"):
        http.request("GET", "/slow")
    server.stall_s = 0.0
    assert http.request("GET", "/slow").status == 200  # the broken connection was not reused
    http.close()


def test_a_refused_connection_is_a_connect_error_naming_only_the_server() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    http = Connections(f"http://user:secret@127.0.0.1:{port}", 1.0, 1.0)
    with pytest.raises(ConnectError) as refused:
        http.request("GET", "/")
    assert f"http://127.0.0.1:{port} could not be reached" in str(refused.value)
    assert "secret" not in str(refused.value)
