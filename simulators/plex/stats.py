"""Request log and counters: how tests and benchmarks see what the plugin asked of Plex.

Paths are stored without the token (the ``X-Plex-Token`` query parameter is dropped before recording), and
headers are never recorded, so nothing secret reaches the log.
"""

from __future__ import annotations

import threading
from collections import Counter, deque
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit

KINDS = ("listing", "lookup", "item", "edit", "poster", "rate", "watch", "refresh", "root", "sections", "other")


@dataclass(frozen=True)
class LoggedRequest:
    method: str
    path: str
    status: int
    kind: str


def strip_token(target: str) -> str:
    """The request target with any ``X-Plex-Token`` query parameter removed."""
    parts = urlsplit(target)
    if "x-plex-token" not in parts.query.lower():
        return target
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k.lower() != "x-plex-token"]
    return parts.path + ("?" + urlencode(query) if query else "")


class RequestStats:
    """Counts by kind, per-item write and edit counts, and a bounded log of recent requests."""

    def __init__(self, log_size: int = 200_000) -> None:
        self._lock = threading.Lock()
        self.log: deque[LoggedRequest] = deque(maxlen=log_size)
        self._kinds: Counter[str] = Counter()
        self._writes: Counter[int] = Counter()
        self._edits: Counter[int] = Counter()

    def record(self, method: str, target: str, status: int, kind: str, written: list[int], edit: bool) -> None:
        """``written`` lists the items a successful write touched (one edit PUT may touch several)."""
        with self._lock:
            self.log.append(LoggedRequest(method, strip_token(target), status, kind))
            self._kinds[kind] += 1
            for rk in written:
                self._writes[rk] += 1
                if edit:
                    self._edits[rk] += 1

    def counts(self) -> dict[str, int]:
        with self._lock:
            out = {kind: self._kinds[kind] for kind in KINDS}
        out["total"] = sum(out.values())
        return out

    def write_count(self, rating_key: int) -> int:
        with self._lock:
            return self._writes[rating_key]

    def edit_count(self, rating_key: int) -> int:
        with self._lock:
            return self._edits[rating_key]

    def reset(self) -> None:
        with self._lock:
            self.log.clear()
            self._kinds.clear()
            self._writes.clear()
            self._edits.clear()

    def to_json(self) -> dict:
        counts = self.counts()
        with self._lock:
            return {
                "counts": counts,
                "writes_by_item": {str(k): v for k, v in sorted(self._writes.items())},
                "edits_by_item": {str(k): v for k, v in sorted(self._edits.items())},
                "logged": len(self.log),
            }
