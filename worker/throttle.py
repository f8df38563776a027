"""Bounded, adaptive parallelism toward Plex.

The limit starts at the configured maximum, halves when Plex errors or slows markedly (a latency
well above the running average), and grows back by one after a run of healthy requests (AIMD, as
TCP does): a struggling Plex gets breathing room without any fixed sleep.
"""

from __future__ import annotations

import threading


class AdaptiveLimit:
    def __init__(self, maximum: int, healthy_run: int = 20) -> None:
        self.maximum = max(1, maximum)
        self.limit = self.maximum
        self._healthy_run = healthy_run
        self._streak = 0
        self._avg_latency: float | None = None
        self._in_flight = 0
        self._cond = threading.Condition()

    def __enter__(self) -> AdaptiveLimit:
        with self._cond:
            while self._in_flight >= self.limit:
                self._cond.wait()
            self._in_flight += 1
        return self

    def __exit__(self, *exc) -> None:
        with self._cond:
            self._in_flight -= 1
            self._cond.notify()

    def record(self, latency_s: float, ok: bool) -> None:
        with self._cond:
            slow = self._avg_latency is not None and latency_s > 4 * self._avg_latency + 0.05
            self._avg_latency = latency_s if self._avg_latency is None else 0.9 * self._avg_latency + 0.1 * latency_s
            if not ok or slow:
                self.limit = max(1, self.limit // 2)
                self._streak = 0
            else:
                self._streak += 1
                if self._streak >= self._healthy_run and self.limit < self.maximum:
                    self.limit += 1
                    self._streak = 0
            self._cond.notify_all()
