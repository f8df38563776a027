"""A background thread that does one thing at a fixed interval from a `with` block's entry to its exit."""

from __future__ import annotations

import threading
from typing import Callable


class Ticker:
    """Calls `action` every `interval_s` (first right away) on a daemon thread until the block exits."""

    def __init__(self, interval_s: float, action: Callable[[], None], name: str) -> None:
        self._interval_s = interval_s
        self._action = action
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def __enter__(self) -> Ticker:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._action()
            self._stop.wait(self._interval_s)
