"""Stash's request authentication: off unless credentials are configured, then ApiKey header, ?apikey= or a
session cookie the server issued. Values are compared, never logged."""

from __future__ import annotations

import hmac
import secrets
import threading
from http.cookies import SimpleCookie
from urllib.parse import parse_qs


class Auth:
    def __init__(self, api_key: str | None = None, username: str | None = None, password: str | None = None) -> None:
        self.api_key = api_key or ""
        self.username = username
        self.password = password
        self._sessions: set[str] = set()
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
            self._sessions.add(value)
        return value

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
        cookie = SimpleCookie()
        try:
            cookie.load(headers.get("Cookie") or "")
        except Exception:  # a malformed Cookie header is simply no session
            return False
        morsel = cookie.get("session")
        if morsel is None:
            return False
        with self._lock:
            return morsel.value in self._sessions
