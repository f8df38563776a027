"""Stash's request authentication: off unless credentials are configured, then ApiKey header, ?apikey= or a
session cookie the server issued. Values are compared, never logged.

As in Stash (pkg/session/session.go:118-121), every request authenticated by the session cookie is answered with
a fresh cookie, and each cookie value expires `max_session_age` seconds after it was issued; of several `session`
cookies in one header, the first counts (Go's Request.Cookie)."""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from urllib.parse import parse_qs


class Auth:
    def __init__(self, api_key: str | None = None, username: str | None = None, password: str | None = None,
                 max_session_age: float = 3600.0) -> None:
        self.api_key = api_key or ""
        self.username = username
        self.password = password
        self.max_session_age = max_session_age
        self._sessions: dict[str, float] = {}  # value -> expiry (monotonic)
        self._lock = threading.Lock()

    @property
    def required(self) -> bool:
        return bool(self.api_key or self.username)

    def new_session(self) -> str | None:
        """A session value for a logged-in user or a plugin run; None when auth is off (Stash sends null)."""
        if not self.required:
            return None
        value = secrets.token_urlsafe(24)
        with self._lock:
            self._sessions[value] = time.monotonic() + self.max_session_age
        return value

    def issued_sessions(self) -> list[str]:
        """Every session value issued so far (tests sweep logs and files for them)."""
        with self._lock:
            return list(self._sessions)

    def login(self, username: str, password: str) -> str | None:
        if self.username is None or not (hmac.compare_digest(username, self.username)
                                         and hmac.compare_digest(password, self.password or "")):
            return None
        return self.new_session()

    def accepts(self, headers, query: str) -> bool:
        if not self.required:
            return True
        if self.api_key:
            header = headers.get("ApiKey")
            if header and hmac.compare_digest(header, self.api_key):
                return True
            for value in parse_qs(query).get("apikey", []):
                if hmac.compare_digest(value, self.api_key):
                    return True
        return self.session_of(headers) is not None

    def session_of(self, headers) -> str | None:
        """The request's first `session` cookie, if it is one this server issued and it has not expired."""
        for part in (headers.get("Cookie") or "").split(";"):
            name, _, value = part.strip().partition("=")
            if name == "session":
                with self._lock:
                    expiry = self._sessions.get(value)
                return value if expiry is not None and expiry > time.monotonic() else None
        return None
