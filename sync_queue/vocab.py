"""The words the database stores and the worker decides on, each with one meaning.

Values are str subclasses, so they go into SQLite and JSON as their plain text and compare equal to it;
`str()` and f-strings give the value, not `Class.NAME`, on every Python version. Enum costs a hook nothing
(`re`, which `json` imports, already loads it).
"""

from __future__ import annotations

from enum import Enum


class _Word(str, Enum):
    __str__ = str.__str__
    __format__ = str.__format__  # type: ignore[assignment]  # Enum's own format would print the member name


class SceneStatus(_Word):
    """`scene_state.status`: where a scene stands (its queue row's status is `sync_queue.ackqueue.JobStatus`)."""

    QUEUED = "queued"  # a job is pending or running
    SYNCED = "synced"  # the last job wrote to Plex what Stash had
    UNCHANGED = "unchanged"  # the last job found Plex already in step
    NOT_FOUND = "not_found"  # no Plex item holds the scene's files
    AMBIGUOUS = "ambiguous"  # several Plex items could be the scene; not guessed
    RETRYING = "retrying"  # a retry is scheduled at `next_attempt_at`
    DEAD = "dead"  # given up: a dead letter says why
    OUT_OF_SCOPE = "out_of_scope"  # left as it is in Plex by the user's scope settings (last_error says which)


# Outcomes after which the scene's Plex items hold what Stash had at the fetched `updated_at`.
IN_STEP = (SceneStatus.SYNCED, SceneStatus.UNCHANGED)
# Outcomes a job can end with (QUEUED, RETRYING and DEAD are set by the queue itself).
OUTCOMES = (SceneStatus.SYNCED, SceneStatus.UNCHANGED, SceneStatus.NOT_FOUND, SceneStatus.AMBIGUOUS,
            SceneStatus.OUT_OF_SCOPE)
# Outcomes that settle the scene as of the fetched updated_at and content hash (bulk requests are then dropped).
SETTLED = (*IN_STEP, SceneStatus.OUT_OF_SCOPE)


class ErrorClass(_Word):
    """Why a push failed; each class has its own retry policy (`worker.retry`)."""

    PLEX_DOWN = "plex_down"  # wait for Plex; never spends an attempt
    NOT_FOUND = "not_found"  # the file is not in Plex (yet): few, widely spaced attempts
    TRANSIENT = "transient"  # backoff with jitter up to max_retries
    PERMANENT = "permanent"  # retrying sends the same refusal: dead letter at once


class Reason(_Word):
    """Why a job was queued: a label for logs and dead letters only. What the worker does differently
    for a job is in its explicit fields (`full_push`, `file_lookup`), never read from the reason."""

    EDITED = "edited"
    CREATED = "created"
    SCANNED = "scanned"
    SYNC_ALL = "sync_all"
    SYNC_RECENT = "sync_recent"
    NEVER_SYNCED = "never_synced"
    CHANGED = "changed"
    DRIFT = "drift"
    COVER_PENDING = "cover_pending"
    LIBRARY_RESCANNED = "library_rescanned"
    RETRY = "retry"
    DEAD_LETTER_RETRY = "dead_letter_retry"
    SYNC_NOW = "sync_now"  # the scene page's "Sync now" (a full push)
    RENAMED = "renamed"  # a performer, tag, studio or group the scene shows was renamed (or a tag merged into another)
    ITEM_GONE = "plex_item_gone"  # the Plex item it was synced to is gone (a rescan, a merge, a moved file)
