"""HTTP for every request to Stash and Plex: requests (on urllib3), with the plugin's few policies written down here.

- One `requests.Session` per server and thread (`Transport`), reused for the whole drain: kept-alive connections,
  urllib3's check that a pooled connection was not closed by the server while idle, gzip.
- Separate connect and read timeouts.
- Retries (urllib3 `Retry`): a request that provably never reached the server (the connection could not be made)
  is repeated once; a read failure (sent, then the connection broke or timed out: the server may have applied it)
  is repeated once only for an idempotent request, never for the rest (a poster POST, a scrobble). A status code
  is never retried here: the caller's policy decides from the error class.
- Redirects are never followed, GET included: requests strips only `Authorization` on a redirect, so Plex's
  `X-Plex-Token` header would go wherever `Location` points. A 3xx is `Redirected`, naming the `Location`.
- TLS trusts the system's store (OpenSSL's default paths, `SSL_CERT_FILE`/`SSL_CERT_DIR`, Windows' store) and
  certifi's roots, plus a CA file the caller names, in one SSLContext; or nothing is verified, when the caller
  says so. Not `truststore`: it hands verification to the OS alone, so certifi and a CA file could not join the
  same check, and it would be one more package to install into Stash's Python; on Linux (Stash's Docker image)
  OpenSSL's default paths are the system store already. macOS's keychain is not read: a CA file covers it.
- No proxies, netrc or CA bundle from the environment (`trust_env = False`): the plugin talks to the Stash that
  started it and the Plex the user named.

Every failure is one of the public classes below, sorted by what it means for a resend; nothing of requests,
urllib3 or the socket layer escapes. Messages name the server's origin, never a credential or a query string.
"""

from __future__ import annotations

import re
import ssl
import threading
import warnings
from typing import Mapping, Optional
from urllib.parse import urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.exceptions import InsecureRequestWarning
from urllib3.util.retry import Retry

# The caller's own warning says verification is off (plex_verify_tls); urllib3's would repeat it per request.
warnings.filterwarnings("ignore", category=InsecureRequestWarning)

CONNECT_RETRIES = 1
_IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})


class TransportError(Exception):
    """A request that got no usable HTTP answer; the message names the server, never a credential.
    `timed_out`: a timeout, rather than a refusal or a broken connection, ended it."""

    def __init__(self, message: str, timed_out: bool = False) -> None:
        super().__init__(message)
        self.timed_out = timed_out


class Unreachable(TransportError):
    """The connection could not be made (refused, unknown name, connect timeout, TLS handshake): the request
    never reached the server, so sending it again is always safe."""


class Untrusted(Unreachable):
    """The server's certificate was not trusted (or named another host): no request was sent."""


class AnswerLost(TransportError):
    """The request was sent (or may have been) and no whole answer came: the server may have applied it."""


class Redirected(TransportError):
    """The server answered with a redirect, which is never followed; `location` is where it pointed (without
    its query string)."""

    def __init__(self, message: str, status: int, location: str) -> None:
        super().__init__(message)
        self.status = status
        self.location = location


def tls_context(verify: bool = True, ca_file: Optional[str] = None) -> ssl.SSLContext:
    """The trust for https: the system's store and certifi's roots and `ca_file` (PEM), or, with `verify` off,
    nothing checked. Raises TransportError when `ca_file` cannot be read as certificates."""
    context = ssl.create_default_context()  # the system's store, hostname checking
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    import certifi

    context.load_verify_locations(certifi.where())
    if ca_file:
        try:
            context.load_verify_locations(ca_file)
        except (OSError, ssl.SSLError) as exc:
            raise TransportError(f"the CA file {ca_file} could not be read as PEM certificates ({_reason(exc)})") \
                from None
    return context


class _Adapter(HTTPAdapter):
    """requests' adapter on the transport's own SSLContext. requests would otherwise load certifi's bundle file
    into every new connection's context (`cert_verify`), and that bundle alone, without the system's store."""

    def __init__(self, context: Optional[ssl.SSLContext], retries: Retry) -> None:
        self._context = context  # None: plain http
        super().__init__(pool_connections=1, pool_maxsize=1, max_retries=retries)

    def init_poolmanager(self, *args, **kwargs) -> None:
        if self._context is not None:
            kwargs["ssl_context"] = self._context
        super().init_poolmanager(*args, **kwargs)

    def cert_verify(self, conn, url: str, verify, cert) -> None:
        if self._context is None:
            return
        conn.cert_reqs = "CERT_NONE" if self._context.verify_mode == ssl.CERT_NONE else "CERT_REQUIRED"
        conn.ca_certs = conn.ca_cert_dir = None


def _retry(read: int) -> Retry:
    return Retry(total=None, connect=CONNECT_RETRIES, read=read, redirect=0, status=0, other=0,
                 allowed_methods=None, backoff_factor=0.2, raise_on_redirect=False, raise_on_status=False)


RETRY_IDEMPOTENT = _retry(read=1)
RETRY_ONCE = _retry(read=0)
# A URL with only these characters is already encoded (the plugin builds its queries with urlencode/quote).
_ENCODED_URL = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*")


def _prepare(method: str, url: str, headers: Mapping[str, str], body: Optional[bytes]) -> requests.PreparedRequest:
    """The request as `Session.request` would prepare it, less what the plugin never uses (merging session
    settings: cookies, hooks, params, environment — a third of a request's CPU). An already encoded URL is taken
    as it is: requests would parse and re-quote it byte by byte in Python, 1.5 ms of CPU for a 5 KB edit query
    (urllib3 checks it once more before sending)."""
    prepared = requests.PreparedRequest()
    prepared.prepare_method(method)
    if _ENCODED_URL.fullmatch(url):
        prepared.url = url
    else:
        prepared.prepare_url(url, None)
    prepared.prepare_headers(headers)
    prepared.prepare_body(body, None)
    return prepared


class Transport:
    """Requests to one server (`base_url`, whose path, if any, prefixes every target), each thread on its own
    Session. `context` is the TLS trust for https (default: `tls_context()`). Thread-safe; `close` closes every
    thread's connections."""

    def __init__(self, base_url: str, timeouts: tuple[float, float], context: Optional[ssl.SSLContext] = None) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise Unreachable(f"not an http(s) address: {parts.scheme}://{parts.hostname or ''}")
        self.origin = f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"
        self._base = self.origin + parts.path.rstrip("/")
        self.timeouts = timeouts
        self._context = context if context is not None or parts.scheme == "http" else tls_context()
        self.headers = {"User-Agent": "Stash2Plex", "Accept-Encoding": "gzip"}
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._lock = threading.Lock()

    def session(self) -> requests.Session:
        """The calling thread's Session (also what plexapi is given to connect with)."""
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.trust_env = False
            session.max_redirects = 0  # a redirect raises TooManyRedirects, even where a caller asks to follow
            session.headers.update(self.headers)
            self._local.adapter = _Adapter(self._context, RETRY_IDEMPOTENT)
            session.mount("https://", self._local.adapter)
            session.mount("http://", self._local.adapter)
            self._local.session = session
            with self._lock:
                self._sessions.append(session)
        return session

    def request(self, method: str, target: str, headers: Optional[Mapping[str, str]] = None,
                body: Optional[bytes] = None, idempotent: Optional[bool] = None) -> requests.Response:
        """Sends one request (`target`: path and encoded query) and reads the whole answer, of any status but a
        redirect. `idempotent` (by default: the method is GET, HEAD, PUT, DELETE or OPTIONS) allows one resend
        after a read failure; a caller whose GET changes state (Plex's `/:/scrobble`) passes False."""
        session = self.session()
        if idempotent is None:
            idempotent = method in _IDEMPOTENT
        self._local.adapter.max_retries = RETRY_IDEMPOTENT if idempotent else RETRY_ONCE  # this thread's own
        try:
            prepared = _prepare(method, self._base + target, {**self.headers, **(headers or {})}, body)
            response = session.send(prepared, timeout=self.timeouts, allow_redirects=False)
        except Exception as exc:
            failure = self.failure(exc)
            if failure is None:
                raise
            raise failure from None
        if 300 <= response.status_code < 400:
            raise self._redirected(response)
        return response

    def failure(self, exc: BaseException) -> Optional[TransportError]:
        """The public class of an exception raised by requests (here, or in plexapi on this transport's session);
        None for anything that is not a transport failure (a bug)."""
        if isinstance(exc, TransportError):
            return exc
        chain = list(_chain(exc))
        reason = _reason(chain[-1])
        if isinstance(exc, requests.exceptions.TooManyRedirects) and exc.response is not None:
            return self._redirected(exc.response)
        if any(isinstance(e, (ssl.SSLCertVerificationError, ssl.CertificateError)) for e in chain):
            return Untrusted(f"{self.origin} has a certificate that is not trusted ({reason})")
        if isinstance(exc, requests.exceptions.ConnectTimeout):
            return Unreachable(f"{self.origin} did not accept a connection within {self.timeouts[0]:g} s", True)
        if any(isinstance(e, urllib3.exceptions.NewConnectionError) for e in chain):
            return Unreachable(f"{self.origin} could not be reached ({reason})")
        if isinstance(exc, requests.exceptions.ReadTimeout) or any(isinstance(e, TimeoutError) for e in chain):
            return AnswerLost(f"{self.origin} did not answer within {self.timeouts[1]:g} s", True)
        if isinstance(exc, (requests.exceptions.RequestException, urllib3.exceptions.HTTPError, OSError)):
            return AnswerLost(f"{self.origin} broke the connection before answering ({reason})")
        return None

    def close(self) -> None:
        with self._lock:
            sessions, self._sessions = self._sessions, []
        for session in sessions:
            session.close()
        self._local = threading.local()

    def _redirected(self, response: requests.Response) -> Redirected:
        location = (response.headers.get("Location") or "").split("?", 1)[0]
        return Redirected(f"{self.origin} answered HTTP {response.status_code}, a redirect to {location or '?'}, "
                          "which is not followed: use that address in the setting", response.status_code, location)


def _chain(exc: BaseException):
    """`exc` and what it wraps, outermost first: requests and urllib3 nest the socket's error in `reason`, in
    `args` and as the cause."""
    seen = set()
    current: Optional[BaseException] = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        inner = getattr(current, "reason", None)
        if not isinstance(inner, BaseException):
            inner = next((a for a in getattr(current, "args", ()) if isinstance(a, BaseException)), None)
        current = inner or current.__cause__ or current.__context__


def _reason(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}" if text != type(exc).__name__ else text
