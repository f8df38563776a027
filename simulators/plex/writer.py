"""The latency model's library database: one writer, taken in arrival order, and reads that queue behind it.

PMS keeps its library in one SQLite database and makes its writes one at a time. The model takes that as a FIFO:
a write waits for every write that arrived before it, then holds the writer for its cost; a read waits for the
writes that arrived before it (never for later ones), then takes its own cost. So a client that keeps many writes
in flight makes every other client's reads wait behind all of them: how long another client's read waited, and
behind how many writes, is what the benchmark reads from `read_waits` to judge the plugin's in-flight limit.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque

READ_SAMPLES = 20_000  # per client: the latest reads' (writes ahead, wait) kept for the benchmark


class OneWriter:
    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._issued = 0  # tickets handed to writes, in arrival order
        self._done = 0  # writes finished; always a prefix of the tickets
        self.busy_s = 0.0
        self.writes = 0
        self.waiting_reads = 0
        self._reads: dict[str, deque] = defaultdict(lambda: deque(maxlen=READ_SAMPLES))

    def write(self, cost_s: float) -> None:
        """Waits for the writes ahead, then holds the writer for `cost_s`."""
        with self._cond:
            ticket = self._issued
            self._issued += 1
            while self._done != ticket:
                self._cond.wait()
        time.sleep(cost_s)
        with self._cond:
            self._done += 1
            self.busy_s += cost_s
            self.writes += 1
            self._cond.notify_all()

    def read(self, cost_s: float, client: str) -> None:
        """Waits for the writes that arrived before this read, then takes `cost_s`; records both for `client`."""
        arrived = time.monotonic()
        with self._cond:
            last = self._issued
            ahead = last - self._done
            self.waiting_reads += 1
            while self._done < last:
                self._cond.wait()
            self.waiting_reads -= 1
            self._reads[client].append((ahead, round((time.monotonic() - arrived) * 1000, 2)))
        time.sleep(cost_s)

    def reset(self) -> None:
        with self._cond:
            self.busy_s = 0.0
            self.writes = 0
            self._reads.clear()

    def to_json(self) -> dict:
        """`busy_s` and `writes` (the write limit and the mean write time), `queued` (writes in or waiting for
        the writer now), `waiting_reads`, and per client identifier its reads as `[writes ahead on arrival, ms
        waited for them]`."""
        with self._cond:
            return {"busy_s": round(self.busy_s, 3), "writes": self.writes, "queued": self._issued - self._done,
                    "waiting_reads": self.waiting_reads,
                    "read_waits": {client: [list(sample) for sample in samples]
                                   for client, samples in self._reads.items()}}
