"""Another Plex client during a sync: a person browsing Plex while Stash2Plex writes to it.

It reads the library's sections every `interval_s`, under its own client identifier, so the Plex simulator's
latency model records how many writes were ahead of each of its reads and how long it waited for them
(`simulators.plex.writer`). Its own requests are reads: they never hold Plex's writer.
"""

from __future__ import annotations

import requests

from bench.harness import PLEX_TOKEN, SimProcess
from bench.stats import percentile
from bench.ticker import Ticker

CLIENT_ID = "bench-another-plex-client"


class OtherClient(Ticker):
    """A context manager: reads from `plex` on a thread from entry to exit."""

    def __init__(self, plex: SimProcess, interval_s: float = 0.05) -> None:
        self._url = f"{plex.url}/library/sections"
        self._headers = {"X-Plex-Token": PLEX_TOKEN, "X-Plex-Client-Identifier": CLIENT_ID}
        self._session = requests.Session()
        super().__init__(interval_s, self._read, "bench-other-client")

    def __exit__(self, *exc: object) -> None:
        super().__exit__(*exc)
        self._session.close()

    def _read(self) -> None:
        self._session.get(self._url, headers=self._headers, timeout=60).raise_for_status()


def read_waits(writer: dict) -> dict:
    """What the other client's reads met, from the simulator's writer stats: how many of Plex's writes were ahead
    of each (p95, max; each one write time to wait: 25 ms for an edit, 60 ms for a poster in the model) and how
    long it waited for them (p95, max)."""
    samples = writer["read_waits"].get(CLIENT_ID, [])
    if not samples:
        return {"reads": 0}
    ahead = [count for count, _ in samples]
    waits = [wait for _, wait in samples]
    return {"reads": len(samples), "writes_ahead_p95": percentile(ahead, 0.95), "writes_ahead_max": max(ahead),
            "wait_ms_p95": percentile(waits, 0.95), "wait_ms_max": max(waits)}
