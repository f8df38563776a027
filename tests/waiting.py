"""The one way tests wait for something another process or thread does: a bounded poll, never a timed assert."""

from __future__ import annotations

import time
from typing import Callable, TypeVar

T = TypeVar("T")


def wait_for(condition: Callable[[], T], timeout: float = 60.0, what: str = "condition", interval: float = 0.05) -> T:
    """Returns the first truthy value of `condition()`; fails the test naming `what` when `timeout` passes first."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {timeout} s")
        time.sleep(interval)
