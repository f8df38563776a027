"""Fault injection: the ways a real PMS misbehaves that the plugin must survive.

State is read by the request handler on every request; ``to_json``/``configure`` are the ``/_sim/faults``
wire form, where a body replaces the whole configuration (so ``{}`` clears every fault).
"""

from __future__ import annotations

import random
import threading
import time
from typing import Callable

from simulators.plex.writer import OneWriter

WRITE_KINDS = ("edit", "poster", "watch", "rate")  # the requests that change an item (routes.classify)


class Faults:
    """Latency, a 5xx window, token revocation, slow responses, refused connections, and writes applied whose
    answers are lost (the connection closed instead)."""

    def __init__(self, close_listener: Callable[[], None], open_listener: Callable[[], None]) -> None:
        self._lock = threading.Lock()
        self._close_listener = close_listener
        self._open_listener = open_listener
        self.latency_ms = 0
        self.listing_item_ms = 0.0  # a real PMS spends time per item it lists (0.5-3 s per 1,000-item page)
        self.read_ms = self.write_ms = self.poster_ms = 0.0  # the latency model (apply_latency)
        self.writer = OneWriter()  # its database: the time it was busy is the limit a sync's wall is judged against
        self.unauthorized = False
        self.slow_body_s = 0.0
        self.refusing = False
        self._error_status = 503
        self._error_count: int | None = None
        self._error_until: float | None = None
        self.drop_after_apply = 0.0  # share of writes applied and then answered by closing the connection
        self.dropped = 0  # how many answers were lost so
        self._drops = random.Random(0)  # seeded: a run drops the same requests each time

    def apply_latency(self, method: str, kind: str, client: str) -> None:
        """The latency model: every request `latency_ms`; writes (edits, poster uploads) `write_ms` /
        `poster_ms` more, one at a time in arrival order, as PMS's one database writer takes them; reads wait for
        the writes ahead of them (when writes cost anything), then `read_ms` (`writer.OneWriter`)."""
        if self.latency_ms > 0:
            time.sleep(self.latency_ms / 1000)
        cost = self.poster_ms if kind == "poster" else self.write_ms if method in ("PUT", "POST", "DELETE") else 0
        if cost > 0:
            self.writer.write(cost / 1000)
        elif method == "GET" and (self.write_ms > 0 or self.poster_ms > 0):
            self.writer.read(self.read_ms / 1000, client)
        elif method == "GET" and self.read_ms > 0:
            time.sleep(self.read_ms / 1000)

    def listing_delay(self, items: int) -> None:
        if self.listing_item_ms > 0:
            time.sleep(items * self.listing_item_ms / 1000)

    def set_error_window(self, count: int | None = None, seconds: float | None = None, status: int = 503) -> None:
        """The next ``count`` requests (or every request for ``seconds``) answer ``status`` instead."""
        with self._lock:
            self._error_status = status
            self._error_count = count
            self._error_until = time.monotonic() + seconds if seconds is not None else None

    def take_error(self) -> int | None:
        """Status to fail the current request with, consuming one slot of a counted window."""
        with self._lock:
            if self._error_count is not None and self._error_count > 0:
                self._error_count -= 1
                return self._error_status
            if self._error_until is not None and time.monotonic() < self._error_until:
                return self._error_status
            return None

    def take_drop(self, kind: str) -> bool:
        """Whether this applied request's answer is lost: a write, `drop_after_apply` of the time."""
        with self._lock:
            if kind not in WRITE_KINDS or self.drop_after_apply <= 0 or self._drops.random() >= self.drop_after_apply:
                return False
            self.dropped += 1
            return True

    def refuse_connections(self, seconds: float | None = None) -> None:
        """Closes the listening socket (clients get ECONNREFUSED); reopens on the same port after ``seconds``."""
        self.refusing = True
        self._close_listener()
        if seconds is not None:
            timer = threading.Timer(seconds, self.accept_connections)
            timer.daemon = True
            timer.start()

    def accept_connections(self) -> None:
        if self.refusing:
            self._open_listener()
            self.refusing = False

    def clear(self) -> None:
        self.latency_ms = 0
        self.listing_item_ms = 0.0
        self.unauthorized = False
        self.slow_body_s = 0.0
        self.drop_after_apply = 0.0
        self.set_error_window(None, None)
        self.accept_connections()

    def configure(self, body: dict) -> None:
        """Applies a ``/_sim/faults`` body: ``latency_ms``, ``listing_item_ms``, ``error_window`` ({count|seconds,
        status}), ``unauthorized``, ``slow_body_s``, ``refuse_connections_s``, ``drop_after_apply`` (0..1); keys left
        out are cleared."""
        self.clear()
        self.latency_ms = int(body.get("latency_ms", 0))
        self.listing_item_ms = float(body.get("listing_item_ms", 0.0))
        self.unauthorized = bool(body.get("unauthorized", False))
        self.slow_body_s = float(body.get("slow_body_s", 0.0))
        self.drop_after_apply = float(body.get("drop_after_apply", 0.0))
        window = body.get("error_window")
        if window:
            self.set_error_window(window.get("count"), window.get("seconds"), int(window.get("status", 503)))
        if body.get("refuse_connections_s"):
            self.refuse_connections(float(body["refuse_connections_s"]))

    def to_json(self) -> dict:
        with self._lock:
            window = None
            if self._error_count or (self._error_until is not None and time.monotonic() < self._error_until):
                remaining_s = None
                if self._error_until is not None:
                    remaining_s = round(self._error_until - time.monotonic(), 3)
                window = {"status": self._error_status, "count": self._error_count or None, "seconds": remaining_s}
        return {"latency_ms": self.latency_ms, "listing_item_ms": self.listing_item_ms, "read_ms": self.read_ms,
                "write_ms": self.write_ms, "poster_ms": self.poster_ms, "error_window": window,
                "unauthorized": self.unauthorized,
                "slow_body_s": self.slow_body_s, "refusing_connections": self.refusing,
                "drop_after_apply": self.drop_after_apply, "dropped": self.dropped}
