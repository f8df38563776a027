"""Records shared by the drainer and its callers; kept apart from jobs.py so importing them is cheap."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Optional

# Outcomes after which the scene's Plex items hold what Stash had at `updated_at`.
SYNCED_STATUSES = ("synced", "unchanged")
STATUSES = ("synced", "unchanged", "not_found", "ambiguous", "failed", "dead", "queued")


@dataclass(frozen=True)
class Job:
    job_id: int
    scene_id: int
    reason: str
    enqueued_at: float


@dataclass(frozen=True)
class SyncOutcome:
    """What the drainer did for one job.

    `updated_at` is the Stash value the job FETCHED (not the time of completion), so an edit made
    after the fetch is not mistaken for synced. `None` fields leave the stored value as it was.
    """

    status: str
    updated_at: Optional[str] = None
    content_hash: Optional[str] = None
    field_hashes: Optional[Dict[str, str]] = None
    plex_keys: Optional[List[int]] = None
    cover_pending: bool = False
    message: Optional[str] = None

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"unknown sync status {self.status!r}; expected one of {', '.join(STATUSES)}")
