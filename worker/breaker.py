"""Circuit breaker: after a few consecutive "Plex is down" failures, stop sending and probe sparingly.

While open, jobs are not attempted (and so not dead-lettered for an outage); a single probe after the
cool-down decides whether to close again. Probes back off up to a cap so a long outage costs little.
"""

from __future__ import annotations

import time
from typing import Callable


class CircuitBreaker:
    def __init__(self, threshold: int = 3, first_probe_s: float = 2.0, max_probe_s: float = 300.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.threshold = threshold
        self.first_probe_s = first_probe_s
        self.max_probe_s = max_probe_s
        self._clock = clock
        self._failures = 0
        self._probe_delay = first_probe_s
        self._next_probe_at = 0.0

    @property
    def is_open(self) -> bool:
        return self._failures >= self.threshold

    def record_success(self) -> None:
        self._failures = 0
        self._probe_delay = self.first_probe_s

    def record_down(self) -> None:
        self._failures += 1
        if self.is_open:
            self._next_probe_at = self._clock() + self._probe_delay

    def seconds_until_probe(self) -> float:
        return max(0.0, self._next_probe_at - self._clock())

    def probe_failed(self) -> None:
        self._probe_delay = min(self.max_probe_s, self._probe_delay * 2)
        self._next_probe_at = self._clock() + self._probe_delay
