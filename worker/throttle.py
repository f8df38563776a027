"""Bounded, adaptive parallelism toward Plex: as many requests in flight as make Plex faster, and no more.

PMS takes its database writes one at a time. Beyond the one being written and one ready behind it, every write
the plugin keeps in flight buys no speed: it waits in Plex's queue, and so does every other client's request that
arrives behind it — a person browsing Plex during a Sync All would wait for all of them. So the limit follows the
queue the plugin builds at Plex, read as TCP Vegas reads a network's: a request kind's fastest recent latency is
its cost with nothing ahead (`base`), and a request that took `latency` while `n` of ours were in flight had about
`n * (1 - base / latency)` of them queued ahead of it. The limit starts low, grows by one after a run of requests
that found no queue, shrinks by one while the (smoothed) queue stays above `QUEUED_HIGH`, and halves on an error
(AIMD, as TCP does). A Plex that serves requests side by side shows no queue and gets up to `plex_parallelism`;
one that serialises settles near two; one that slows down markedly shows a queue at once and gets fewer.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from typing import Iterator

START = 2  # in flight before anything is known: enough to keep a serialising Plex busy
QUEUED_LOW = 0.5  # smoothed requests queued ahead below which one more in flight may help
QUEUED_HIGH = 1.5  # above which ours make Plex (and everyone else) wait
UNNOTICED_S = 0.01  # a delay this small is nobody's wait: scheduling noise, not a queue
BASE_WINDOW = 200  # samples of a kind after which its base is taken afresh (a Plex that became slower for good)


class AdaptiveLimit:
    """The concurrency limit for one drain's Plex requests; thread-safe. `request(kind)` holds a slot."""

    def __init__(self, maximum: int, healthy_run: int = 20) -> None:
        self.maximum = max(1, maximum)
        self.limit = min(START, self.maximum)
        self.queued = 0.0  # smoothed estimate of our requests queued at Plex
        self._healthy_run = healthy_run
        self._streak = 0
        self._hold = 0  # samples to wait after a change, so the next decision sees its effect
        self._base: dict[str, float] = {}
        self._window: dict[str, tuple[float, int]] = {}  # kind -> (fastest in the current window, samples)
        self._in_flight = 0
        self._cond = threading.Condition()

    @contextmanager
    def request(self, kind: str) -> Iterator[None]:
        """Waits for a slot, holds it for the body (one Plex request of `kind`) and records its latency — from
        the slot, not from the wait for it — and whether it raised."""
        with self._cond:
            while self._in_flight >= self.limit:
                self._cond.wait()
            self._in_flight += 1
            in_flight = self._in_flight
        started = time.monotonic()
        ok = False
        try:
            yield
            ok = True
        finally:
            with self._cond:
                self._in_flight -= 1
                self.record(kind, time.monotonic() - started, in_flight, ok)
                self._cond.notify()  # one slot freed: one waiter (`_change` wakes them all when the limit grows)

    def record(self, kind: str, latency_s: float, in_flight: int, ok: bool) -> None:
        """Feeds one finished request (`in_flight`: ours in flight when it started, itself included)."""
        with self._cond:
            if not ok:
                self._change(max(1, self.limit // 2))
                return
            base = self._learn_base(kind, latency_s)
            if self._hold > 0:  # a request sent before the last change: it says nothing of the new limit
                self._hold -= 1
                return
            queued = 0.0 if latency_s - base < UNNOTICED_S else in_flight * (1 - base / latency_s)
            self.queued = 0.8 * self.queued + 0.2 * queued
            if self.queued > QUEUED_HIGH and self.limit > 1:
                self._change(self.limit - 1)
            elif self.queued < QUEUED_LOW:
                self._streak += 1
                if self._streak >= self._healthy_run and self.limit < self.maximum:
                    self._change(self.limit + 1)
            else:
                self._streak = 0

    def _learn_base(self, kind: str, latency_s: float) -> float:
        """The kind's fastest latency over the previous window and this one."""
        fastest, samples = self._window.get(kind, (latency_s, 0))
        fastest, samples = min(fastest, latency_s), samples + 1
        base = min(self._base.get(kind, latency_s), latency_s)
        if samples >= BASE_WINDOW:
            base, fastest, samples = fastest, float("inf"), 0
        self._base[kind] = base
        self._window[kind] = (fastest, samples)
        return base

    def _change(self, limit: int) -> None:
        self._hold = max(self.limit, limit)  # requests already in flight under the old limit
        if limit > self.limit:
            self._cond.notify_all()
        self.limit = limit
        self._streak = 0
        self.queued = 0.0
