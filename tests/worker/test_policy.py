"""The worker's small policies as tables: retry by error class, circuit breaker, adaptive parallelism."""

from __future__ import annotations

import random

import pytest

from sync_queue.vocab import ErrorClass
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


def _serving(limit: AdaptiveLimit, samples: int, latency_for) -> list[int]:
    """Feeds `samples` requests, each with as many in flight as the limit allows; returns the limit after each."""
    seen = []
    for _ in range(samples):
        in_flight = limit.limit
        limit.record("edit", latency_for(in_flight), in_flight, ok=True)
        seen.append(limit.limit)
    return seen


def test_against_a_plex_that_takes_writes_one_at_a_time_the_limit_settles_at_two() -> None:
    # Each of n in flight waits for the others: latency n x 25 ms. Two keep Plex busy; more only queue.
    limit = AdaptiveLimit(8)
    limit.record("edit", 0.025, 1, ok=True)  # the cost with nothing ahead
    limit.limit = 8
    seen = _serving(limit, 400, lambda n: n * 0.025)
    assert seen[-1] == 2 and set(seen[-200:]) == {2}
    assert max(seen[:20]) == 8 and min(seen) >= 2


def test_against_a_plex_that_serves_side_by_side_the_limit_grows_to_the_setting() -> None:
    limit = AdaptiveLimit(8, healthy_run=5)
    assert limit.limit == 2  # before anything is known
    assert _serving(limit, 200, lambda n: 0.025)[-1] == 8
    assert _serving(limit, 200, lambda n: 0.025 + 0.008 * (n % 2))[-1] == 8  # jitter of a few ms is no queue


def test_errors_halve_the_limit_within_its_bounds() -> None:
    limit = AdaptiveLimit(8, healthy_run=3)
    limit.limit = 8
    limit.record("edit", 0.01, 8, ok=False)
    assert limit.limit == 4
    for _ in range(5):
        limit.record("edit", 0.01, 4, ok=False)
    assert limit.limit == 1
    assert _serving(limit, 300, lambda n: 0.01)[-1] == 8  # never above the setting
    assert AdaptiveLimit(0).limit == 1 and AdaptiveLimit(1).limit == 1


def test_a_plex_that_became_slower_for_good_is_relearned() -> None:
    limit = AdaptiveLimit(8, healthy_run=5)
    _serving(limit, 200, lambda n: 0.02)
    assert limit.limit == 8
    seen = _serving(limit, 1000, lambda n: 0.5)  # every request 25x slower, side by side: a queue at first
    assert min(seen[:100]) < 8
    assert seen[-1] == 8


def test_a_request_that_raises_counts_as_an_error_and_the_error_passes_through() -> None:
    limit = AdaptiveLimit(8)
    limit.limit = 8
    with limit.request("edit"):
        pass
    assert limit.limit == 8
    with pytest.raises(RuntimeError), limit.request("edit"):
        raise RuntimeError("refused")
    assert limit.limit == 4
