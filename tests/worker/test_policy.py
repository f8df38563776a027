"""The worker's small policies as tables: retry by error class, circuit breaker, adaptive parallelism."""

from __future__ import annotations

import random

import pytest

from store.vocab import ErrorClass
from worker.breaker import CircuitBreaker
from worker.retry import NOT_FOUND_DELAYS_S, PLEX_DOWN_DELAY_S, decide
from worker.throttle import AdaptiveLimit


@pytest.mark.parametrize("error_class, attempts, max_retries, delay, counts", [
    (ErrorClass.PLEX_DOWN, 1, 5, PLEX_DOWN_DELAY_S, False),
    (ErrorClass.PLEX_DOWN, 50, 5, PLEX_DOWN_DELAY_S, False),  # an outage never exhausts a scene
    (ErrorClass.NOT_FOUND, 1, 5, NOT_FOUND_DELAYS_S[0], True),
    (ErrorClass.NOT_FOUND, 4, 0, NOT_FOUND_DELAYS_S[3], True),  # its own budget, not max_retries
    (ErrorClass.NOT_FOUND, 5, 5, None, True),
    (ErrorClass.TRANSIENT, 1, 5, (2.5, 5.0), True),
    (ErrorClass.TRANSIENT, 4, 5, (20.0, 40.0), True),
    (ErrorClass.TRANSIENT, 5, 5, None, True),
    (ErrorClass.TRANSIENT, 1, 0, None, True),
    (ErrorClass.PERMANENT, 1, 5, None, True),
])
def test_retry_decisions(error_class, attempts, max_retries, delay, counts) -> None:
    decision = decide(error_class, attempts, max_retries, rng=random.Random(7))
    assert decision.counts_attempt is counts
    if isinstance(delay, tuple):
        assert delay[0] <= decision.delay_s <= delay[1]
    else:
        assert decision.delay_s == delay


def test_transient_backoff_is_capped_and_jittered() -> None:
    delays = {decide(ErrorClass.TRANSIENT, 19, 20, rng=random.Random(seed)).delay_s for seed in range(20)}
    assert len(delays) > 1 and max(delays) <= 900.0 and min(delays) >= 450.0


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_breaker_opens_after_the_threshold_and_backs_off_its_probes() -> None:
    clock = Clock()
    breaker = CircuitBreaker(threshold=3, first_probe_s=2.0, max_probe_s=8.0, clock=clock)
    breaker.record_down()
    breaker.record_down()
    assert not breaker.is_open
    breaker.record_down()
    assert breaker.is_open and breaker.seconds_until_probe() == 2.0
    waits = []
    for _ in range(4):
        clock.now += breaker.seconds_until_probe()
        breaker.probe_failed()
        waits.append(breaker.seconds_until_probe())
    assert waits == [4.0, 8.0, 8.0, 8.0]
    breaker.record_success()
    assert not breaker.is_open


def test_limit_halves_on_errors_and_slowness_and_grows_back_slowly() -> None:
    limit = AdaptiveLimit(8, healthy_run=3)
    limit.record(0.01, ok=False)
    assert limit.limit == 4
    for _ in range(3):
        limit.record(0.01, ok=True)
    assert limit.limit == 5
    limit.record(1.0, ok=True)  # far above the running average: Plex is struggling
    assert limit.limit == 2
    for _ in range(100):
        limit.record(0.01, ok=True)
    assert limit.limit == 8  # never above the configured maximum
    assert AdaptiveLimit(0).limit == 1
