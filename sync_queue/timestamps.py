"""Stash's `updated_at` as an instant: RFC 3339 text must be compared as time, never as strings.

Stash (Go) writes offsets like `+02:00` and up to nine fractional digits, which Python 3.9's
`datetime.fromisoformat` rejects; two texts for the same instant in different offsets must compare equal.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Optional

_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):?(\d{2}))?$"
)


def parse_instant(text: str) -> float:
    """Seconds since the epoch; a text without an offset is taken as UTC. Raises ValueError."""
    match = _RFC3339.match(text.strip())
    if not match:
        raise ValueError(f"not an RFC 3339 timestamp: {text!r}")
    year, month, day, hour, minute, second = (int(match.group(i)) for i in range(1, 7))
    fraction = match.group(7) or ""
    micro = int((fraction + "000000")[:6])
    offset = timedelta(0)
    if match.group(9):
        offset = timedelta(hours=int(match.group(10)), minutes=int(match.group(11)))
        if match.group(9) == "-":
            offset = -offset
    moment = datetime(year, month, day, hour, minute, second, micro, tzinfo=timezone(offset))
    return moment.timestamp()


def try_parse_instant(text: Optional[str]) -> Optional[float]:
    """None for a missing or unreadable value: callers then treat the data as possibly newer."""
    if not text:
        return None
    try:
        return parse_instant(text)
    except ValueError:
        return None
