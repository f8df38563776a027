"""The transport (`plugin.transport`) and Plex's wire on it, against a scripted HTTP/1.1 server on 127.0.0.1 (a
thread in this process): each misbehaviour's error class, and whether the request was sent again (counted by the
server, never by the clock)."""

from __future__ import annotations

import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import trustme

from plex.errors import PlexAnswerLost, PlexDown, PlexMisconfigured, PlexTransient
from plex.wire import PlexWire
from plugin.transport import AnswerLost, Redirected, Transport, Unreachable, Untrusted, tls_context

TOKEN = "tr4nsp0rt-t0ken"


class Server:
    """Answers by the path's first part: `ok` (200, the path as body), `drop` (reads the request, then closes
    without a word), `stall` (waits until released, then closes), `redirect` (301 to /elsewhere?token=x),
    `busy` (503 + Retry-After), `limited` (429 + Retry-After), `close-after` (answers, then closes the idle
    connection and says so in `closed`). `arrivals` counts each path's requests, `ports` each one's client port."""

    def __init__(self, context: ssl.SSLContext | None = None) -> None:
        self.arrivals: dict[str, int] = {}
        self.arrived = threading.Condition()
        self.ports: list[int] = []
        self.release = threading.Event()
        self.closed = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                with server.arrived:
                    server.arrivals[self.path] = server.arrivals.get(self.path, 0) + 1
                    server.ports.append(self.client_address[1])
                    server.arrived.notify_all()
                kind = self.path.split("/")[1].split("?")[0]
                if kind in ("drop", "stall"):
                    if kind == "stall":
                        server.release.wait()
                    self.close_connection = True
                    return
                if kind == "redirect":
                    self._answer(301, b"", {"Location": "https://plex.example.test/elsewhere?X-Plex-Token=x"})
                elif kind in ("busy", "limited"):
                    self._answer(503 if kind == "busy" else 429, b"try later", {"Retry-After": "7"})
                else:
                    self._answer(200, self.path.encode())
                if kind == "close-after":
                    self.close_connection = True

            do_POST = do_PUT = do_GET

            def _answer(self, status: int, body: bytes, headers: dict | None = None) -> None:
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                self.wfile.flush()

            def finish(self) -> None:
                super().finish()
                if self.path.startswith("/close-after"):
                    self.connection.close()
                    server.closed.set()

            def log_message(self, *args) -> None:
                return

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        if context is not None:
            self._httpd.socket = context.wrap_socket(self._httpd.socket, server_side=True)
        scheme = "https" if context is not None else "http"
        self.url = f"{scheme}://127.0.0.1:{self._httpd.server_address[1]}"
        threading.Thread(target=self._httpd.serve_forever, args=(0.02,), daemon=True).start()

    def count(self, path: str, expected: int) -> int:
        """The arrivals of `path` once `expected` came (a request the client gave up on may still be on its way to
        the handler thread), or what came within 10 s (a bounded wait, not a timing assertion)."""
        with self.arrived:
            self.arrived.wait_for(lambda: self.arrivals.get(path, 0) >= expected, timeout=10)
            return self.arrivals.get(path, 0)

    def close(self) -> None:
        self.release.set()
        self._httpd.shutdown()
        self._httpd.server_close()


@pytest.fixture
def server():
    running = Server()
    yield running
    running.close()


def _transport(server: Server, read_timeout: float = 5.0) -> Transport:
    return Transport(server.url, (2.0, read_timeout))


def test_one_thread_keeps_one_connection_and_close_closes_it(server) -> None:
    transport = _transport(server)
    assert [transport.request("GET", f"/ok/{i}").content for i in range(3)] == [f"/ok/{i}".encode() for i in
                                                                               range(3)]
    assert len(set(server.ports)) == 1
    transport.close()
    transport.request("GET", "/ok/again")
    assert len(set(server.ports)) == 2


def test_a_dropped_connection_is_resent_once_for_an_idempotent_request_only(server) -> None:
    transport = _transport(server)
    for method, path in (("GET", "/drop/get"), ("PUT", "/drop/put")):
        with pytest.raises(AnswerLost) as lost:
            transport.request(method, path)
        assert not lost.value.timed_out and server.arrivals[path] == 2
    with pytest.raises(AnswerLost):
        transport.request("POST", "/drop/post", body=b"image")
    with pytest.raises(AnswerLost):
        transport.request("GET", "/drop/scrobble", idempotent=False)  # a GET that changes state
    assert server.arrivals["/drop/post"] == 1 and server.arrivals["/drop/scrobble"] == 1
    transport.close()


def test_a_stalled_answer_is_a_timed_out_lost_answer_and_only_idempotent_requests_are_resent(server) -> None:
    transport = _transport(server, read_timeout=0.2)
    with pytest.raises(AnswerLost) as lost:
        transport.request("GET", "/stall/get")
    assert lost.value.timed_out and "did not answer within 0.2 s" in str(lost.value)
    with pytest.raises(AnswerLost):
        transport.request("POST", "/stall/post", body=b"x")
    server.release.set()
    assert (server.count("/stall/get", 2), server.count("/stall/post", 1)) == (2, 1)
    transport.close()


def test_a_redirect_is_never_followed_and_names_the_location_without_its_query(server) -> None:
    transport = _transport(server)
    for method in ("GET", "PUT", "POST"):
        with pytest.raises(Redirected) as moved:
            transport.request(method, f"/redirect/{method}")
        assert moved.value.location == "https://plex.example.test/elsewhere"
        assert "HTTP 301, a redirect to https://plex.example.test/elsewhere" in str(moved.value)
        assert "X-Plex-Token" not in str(moved.value)
    assert set(server.arrivals) == {"/redirect/GET", "/redirect/PUT", "/redirect/POST"}  # nothing went elsewhere
    transport.close()


def test_plexapi_asking_to_follow_a_redirect_gets_it_refused_on_the_transports_session(server) -> None:
    transport = _transport(server)
    with pytest.raises(Exception) as raised:  # what plexapi does with the session it is given
        transport.session().get(server.url + "/redirect/connect", allow_redirects=True, timeout=(2, 2))
    failure = transport.failure(raised.value)
    assert isinstance(failure, Redirected) and failure.location == "https://plex.example.test/elsewhere"
    assert server.arrivals == {"/redirect/connect": 1}
    transport.close()


def test_5xx_and_429_are_answers_the_transport_never_repeats_and_the_wire_classifies(server) -> None:
    wire = PlexWire(_transport(server), TOKEN, {})
    with pytest.raises(PlexDown) as busy:
        wire.request("GET", "/busy")
    with pytest.raises(PlexTransient) as limited:
        wire.request("PUT", "/limited")
    assert busy.value.status == 503 and limited.value.status == 429
    assert server.arrivals == {"/busy": 1, "/limited": 1}  # Retry-After is for the worker's policy, not a resend
    wire.close()


def test_a_connection_the_server_closed_while_idle_is_replaced_before_a_post_goes_out(server) -> None:
    transport = _transport(server)
    assert transport.request("GET", "/close-after").status_code == 200
    server.closed.wait()
    assert transport.request("POST", "/ok/poster", body=b"image").status_code == 200
    assert server.arrivals["/ok/poster"] == 1 and len(set(server.ports)) == 2
    transport.close()


def test_a_refused_connection_is_unreachable_naming_only_the_server() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    transport = Transport(f"http://127.0.0.1:{port}", (1.0, 1.0))
    with pytest.raises(Unreachable) as refused:
        transport.request("POST", "/never?X-Plex-Token=" + TOKEN, body=b"x")
    assert str(refused.value).startswith(f"http://127.0.0.1:{port} could not be reached")
    assert TOKEN not in str(refused.value)
    wire = PlexWire(transport, TOKEN, {})
    with pytest.raises(PlexDown):
        wire.request("GET", "/")


def test_the_wire_sorts_a_lost_answer_and_a_redirect(server) -> None:
    wire = PlexWire(_transport(server), TOKEN, {})
    with pytest.raises(PlexAnswerLost):
        wire.request("POST", "/drop/poster", data=b"x")
    with pytest.raises(PlexMisconfigured, match="redirects.*plex.example.test/elsewhere"):
        wire.request("GET", "/redirect/wire")
    wire.close()


def test_request_checked_reads_plex_after_a_lost_answer_and_resends_only_what_is_missing(server) -> None:
    wire = PlexWire(_transport(server), TOKEN, {})
    checks = []
    wire.request_checked("POST", "/drop/applied", lambda: checks.append(1) or True, b"x")
    assert server.arrivals["/drop/applied"] == 1 and checks == [1]  # it landed: not sent again
    with pytest.raises(PlexAnswerLost):
        wire.request_checked("POST", "/drop/missing", lambda: checks.append(2) or False, b"x")
    assert server.arrivals["/drop/missing"] == 3 and checks == [1, 2, 2, 2]
    wire.close()


@pytest.fixture(scope="module")
def ca():
    return trustme.CA()


def _tls_server(ca: trustme.CA, name: str) -> Server:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(name).configure_cert(context)
    return Server(context)


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")  # pytest resets the module's
def test_tls_trusts_a_ca_file_and_refuses_an_unknown_ca_or_another_name(ca, tmp_path) -> None:
    ca_file = tmp_path / "home-ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    server = _tls_server(ca, "127.0.0.1")
    try:
        with pytest.raises(Untrusted):
            Transport(server.url, (2.0, 2.0), tls_context()).request("GET", "/ok/public-cas-only")
        with pytest.raises(PlexMisconfigured, match="plex_ca_file"):
            PlexWire(Transport(server.url, (2.0, 2.0)), TOKEN, {}).request("GET", "/ok/wire")
        trusted = Transport(server.url, (2.0, 2.0), tls_context(ca_file=str(ca_file)))
        assert trusted.request("GET", "/ok/home-ca").status_code == 200
        unchecked = Transport(server.url, (2.0, 2.0), tls_context(verify=False))
        assert unchecked.request("GET", "/ok/unverified").status_code == 200
        assert "/ok/public-cas-only" not in server.arrivals  # refused before any request was sent
    finally:
        server.close()
    other = _tls_server(ca, "plex.example.test")
    try:
        with pytest.raises(Untrusted):
            Transport(other.url, (2.0, 2.0), tls_context(ca_file=str(ca_file))).request("GET", "/ok/wrong-name")
    finally:
        other.close()


def test_tls_trusts_the_system_store(ca, tmp_path, monkeypatch) -> None:
    """OpenSSL's default paths are the system's store; SSL_CERT_FILE names another, as a distribution's would."""
    ca_file = tmp_path / "system-ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    server = _tls_server(ca, "127.0.0.1")
    try:
        assert Transport(server.url, (2.0, 2.0), tls_context()).request("GET", "/ok/system").status_code == 200
    finally:
        server.close()


def test_an_unreadable_ca_file_is_a_clear_error(tmp_path) -> None:
    bad = tmp_path / "not-a-cert.pem"
    bad.write_text("hello")
    with pytest.raises(Exception, match="could not be read as PEM certificates"):
        tls_context(ca_file=str(bad))


def test_connect_through_plexapi_names_a_redirect_instead_of_following_it(server) -> None:
    from plex.client import connect

    with pytest.raises(PlexMisconfigured, match="redirects.*https://plex.example.test/elsewhere"):
        connect(server.url + "/redirect", TOKEN, 2.0, 2.0, "stash2plex-test")
    assert list(server.arrivals) == ["/redirect/"]
