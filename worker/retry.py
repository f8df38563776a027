"""How long a failed scene waits, and when it stops trying: each class of error has its own budget.

Plex being down is nobody's fault: the scene waits and keeps its attempts. A file Plex has not
scanned yet may appear in minutes or hours: few, widely spaced attempts. Anything else transient backs
off exponentially with jitter so that many scenes failing together do not retry together.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from sync_queue.vocab import ErrorClass

NOT_FOUND_DELAYS_S = (300.0, 1800.0, 7200.0, 21600.0)
TRANSIENT_BASE_S = 5.0
TRANSIENT_CAP_S = 900.0
PLEX_DOWN_DELAY_S = 60.0


@dataclass(frozen=True)
class RetryDecision:
    """`delay_s is None` means give up (dead letter, or for not-found: stop and report)."""

    delay_s: float | None
    counts_attempt: bool


def decide(error_class: ErrorClass, attempts: int, max_retries: int, rng: random.Random | None = None) -> RetryDecision:
    """attempts = failures so far, including this one."""
    if error_class == ErrorClass.PLEX_DOWN:
        return RetryDecision(PLEX_DOWN_DELAY_S, counts_attempt=False)
    if error_class == ErrorClass.NOT_FOUND:
        if attempts > len(NOT_FOUND_DELAYS_S):
            return RetryDecision(None, counts_attempt=True)
        return RetryDecision(NOT_FOUND_DELAYS_S[attempts - 1], counts_attempt=True)
    if error_class == ErrorClass.TRANSIENT and attempts < max_retries:
        ceiling = min(TRANSIENT_CAP_S, TRANSIENT_BASE_S * 2 ** (attempts - 1))
        return RetryDecision((rng.uniform if rng else random.uniform)(ceiling / 2, ceiling), counts_attempt=True)
    return RetryDecision(None, counts_attempt=True)
