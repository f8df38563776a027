"""Order statistics for wall times: median and p95 say more than a mean on a noisy machine."""

from __future__ import annotations

import math
import statistics
from typing import Dict, Sequence


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile: always one of the measured values, never an interpolation between two."""
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def summary(seconds: Sequence[float]) -> Dict[str, float]:
    """Milliseconds, rounded to what the clock and the machine can honestly resolve."""
    if not seconds:
        raise ValueError("no measurements")
    return {
        "n": len(seconds),
        "median": round(statistics.median(seconds) * 1000.0, 2),
        "p95": round(percentile(seconds, 0.95) * 1000.0, 2),
        "min": round(min(seconds) * 1000.0, 2),
        "max": round(max(seconds) * 1000.0, 2),
    }
