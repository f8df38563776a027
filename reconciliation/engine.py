"""The gap engine: compares Stash pages, the stored Plex index and the sync state, and enqueues what
is out of step — through the same dedup rule as everything else, so running it any number of times,
concurrently with a drain, never multiplies work.

Gaps: never synced; changed since the last sync (newer updated_at or another content hash, e.g. a
renamed, merged or deleted tag or performer: a "recent" reconcile becomes a full one when a performer went away
since the last, since develop's `performerMerge` fires no hook and moves no scene's updated_at); the Plex item
it was synced to is gone (re-scanned under a new key, a moved or merged file); drifted in Plex (a scalar field
differs from what we pushed — listings truncate tag lists, so only full reads could judge those); not in Plex
(reported, and retried only once the Plex library was rescanned); Plex items no scene claims (reported, for a
full reconcile).
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Callable, Optional

from mapping.fields import SyncToggles, content_hash, desired_fields, edited_in_plex, field_hashes
from mapping.library import PlexLibrary
from plugin.settings import Settings
from stash.client import SCENE_PAGE, StashSource, walk_scenes
from stash.scene import to_metadata
from sync_queue import Store, meta
from sync_queue.dedup import EnqueueRequest
from sync_queue.scenes import SceneState
from sync_queue.timestamps import try_parse_instant
from sync_queue.vocab import ErrorClass, Reason, SceneStatus

EXAMPLES = 3
RECENT_FALLBACK = timedelta(hours=24)
COVER_WAIT = timedelta(days=7)
GAPS = ("never_synced", "changed", "item_gone", "drifted", "not_in_plex", "unclaimed_in_plex")


@dataclass
class ReconcileReport:
    scope: str
    scenes: int = 0
    gaps: Counter = field(default_factory=Counter)
    examples: dict = field(default_factory=dict)
    queued: int = 0

    def add(self, gap: str, example: str) -> None:
        self.gaps[gap] += 1
        shown = self.examples.setdefault(gap, [])
        if len(shown) < EXAMPLES:
            shown.append(example)

    def summary(self) -> str:
        counts = ", ".join(f"{self.gaps.get(g, 0)} {g.replace('_', ' ')}" for g in GAPS)
        examples = "; ".join(f"{g}: {', '.join(e)}" for g, e in self.examples.items())
        return (f"Reconcile ({self.scope}) of {self.scenes} scenes: {counts}; {self.queued} queued."
                + (f" Examples — {examples}" if examples else ""))


@dataclass
class _Walk:
    """One reconcile's inputs and running results."""

    settings: Settings
    store: Store
    toggles: SyncToggles
    rescanned: bool
    report: ReconcileReport
    claimed: set = field(default_factory=set)
    indexed: set = field(default_factory=set)  # the page's stored Plex keys still in the fresh index


def run_reconcile(settings: Settings, store: Store, stash: StashSource, library: PlexLibrary, scope: str,
                  progress: Optional[Callable[[float], None]] = None) -> ReconcileReport:
    """Finds every gap in `scope` ("all" or "recent": changed since the last reconcile) and enqueues it.

    `library` has just re-read every listing (`Context.library(reread=True)`: one request per 1,000 items), so
    drift is judged on what Plex shows now."""
    started = time.time()
    tally = stash.performer_tally()
    if scope == "recent" and performers_went(store.meta.get(meta.PERFORMER_TALLY), tally):
        scope = "all"  # a merged (or deleted) performer's scenes changed without a new updated_at
    last_run = store.meta.get_float(meta.LAST_RECONCILE_RUN)
    walk = _Walk(settings, store, library.toggles(),
                 store.meta.get_float(meta.PLEX_LIBRARY_CHANGED_AT) > last_run, ReconcileReport(scope=scope))
    seen: set[int] = set()
    for page in walk_scenes(stash, progress or (lambda share: None), _since(last_run, scope)):
        states = store.scenes.get_many(int(s["id"]) for s in page.scenes)
        walk.indexed = store.index.present(key for state in states.values() for key in state.plex_keys)
        seen.update(int(s["id"]) for s in page.scenes)
        requests = [r for r in (gap_request(walk, s, states.get(int(s["id"]))) for s in page.scenes) if r]
        walk.report.scenes += len(page.scenes)
        walk.report.queued += store.queue.enqueue(requests).queued
    if scope == "all":
        _unclaimed(walk, library)
    elif walk.rescanned:
        _absent_outside_scope(walk, seen)
    with store.transaction():
        store.meta.set(meta.LAST_RECONCILE_RUN, str(started))
        store.meta.stamp(meta.LAST_RECONCILE, walk.report.summary(), time.time())
        store.meta.set(meta.PERFORMER_TALLY, f"{tally[0]} {tally[1]}")
    return walk.report


def performers_went(last: Optional[str], now: tuple[int, int]) -> bool:
    """Whether a performer was deleted or merged away since the `last` tally ("<count> <newest id>"): ids are
    never reused, so with none gone the count grew by exactly the ids added after the newest one."""
    if not last:
        return False
    count, newest = (int(x) for x in last.split())
    return now[0] != count + max(0, now[1] - newest)


def scene_request(scene: dict, toggles: SyncToggles, reason: Reason, force: bool = False) -> EnqueueRequest:
    """A request carrying what the dedup rule needs to drop an in-step scene: its updated_at and the hash
    of what Plex should show (which changes without updated_at when a tag or performer is renamed)."""
    metadata = to_metadata(scene)
    digest = content_hash(field_hashes(desired_fields(metadata, toggles)))
    return EnqueueRequest(metadata.scene_id, reason, force, metadata.updated_at, digest)


def _since(last_run: float, scope: str) -> Optional[datetime]:
    """Start of the "recent" window (the client widens it by its own margin for Stash's local-time text)."""
    if scope == "all":
        return None
    if last_run:
        return datetime.fromtimestamp(last_run, timezone.utc)
    return datetime.now(timezone.utc) - RECENT_FALLBACK


def gap_request(walk: _Walk, scene: dict, state: Optional[SceneState]) -> Optional[EnqueueRequest]:
    """The request for the scene's gap, if it has one (counted in the report), else None."""
    base = scene_request(scene, walk.toggles, Reason.NEVER_SYNCED)
    label, report = f"scene {base.scene_id}", walk.report

    def request(reason: Reason, force: bool = False, full_push: bool = False) -> EnqueueRequest:
        return EnqueueRequest(base.scene_id, reason, force, base.updated_at, base.content_hash, full_push)

    absent = _absent(state)
    if state is None or (state.last_synced_epoch is None and not absent):
        report.add("never_synced", label)
        return request(Reason.NEVER_SYNCED)
    walk.claimed.update(state.plex_keys)
    if absent:
        report.add("not_in_plex", f"{label} (ambiguous)" if state.status == SceneStatus.AMBIGUOUS else label)
        # Only a rescan of Plex can make it appear, and then at once: its spaced retry may be hours away
        # (the job's completion clears that retry, so the scene is not tried twice).
        return request(Reason.LIBRARY_RESCANNED, force=True) if walk.rescanned else None
    if state.content_hash != base.content_hash or _newer(base.updated_at, state.last_synced_epoch):
        report.add("changed", label)
        return request(Reason.CHANGED)
    if not set(state.plex_keys) <= walk.indexed:
        # Re-scanned under new keys, or the scene's file moved or was merged (Stash fires no hook for those).
        report.add("item_gone", label)
        return request(Reason.ITEM_GONE, force=True)
    if state.cover_pending and _recent(scene.get("created_at")):
        report.add("changed", f"{label} (cover)")
        return request(Reason.COVER_PENDING, force=True)
    if not walk.settings.preserve_plex_edits and _drifted(walk.store, state):
        report.add("drifted", label)
        return request(Reason.DRIFT, force=True, full_push=True)
    return None


def _absent(state: Optional[SceneState]) -> bool:
    return state is not None and (state.status in (SceneStatus.NOT_FOUND, SceneStatus.AMBIGUOUS)
                                  or state.error_class == ErrorClass.NOT_FOUND)


def _absent_outside_scope(walk: _Walk, seen: set) -> None:
    """After a rescan, scenes Plex lacked are worth one more try even if Stash did not change them lately."""
    ids = [s.scene_id for s in walk.store.scenes.iter_all() if s.scene_id not in seen and _absent(s)]
    for start in range(0, len(ids), SCENE_PAGE):
        chunk = ids[start:start + SCENE_PAGE]
        for scene_id in chunk:
            walk.report.add("not_in_plex", f"scene {scene_id}")
        requests = [EnqueueRequest(i, Reason.LIBRARY_RESCANNED) for i in chunk]
        walk.report.queued += walk.store.queue.enqueue(requests).queued


def _recent(created_at: Optional[str]) -> bool:
    """Stash generates a scanned scene's cover within minutes; after a week, no cover means none at all."""
    epoch = try_parse_instant(created_at)
    return epoch is not None and time.time() - epoch < COVER_WAIT.total_seconds()


def _newer(updated_at: Optional[str], synced_epoch: Optional[float]) -> bool:
    epoch = try_parse_instant(updated_at)
    return epoch is not None and (synced_epoch is None or epoch > synced_epoch)


def _drifted(store: Store, state: SceneState) -> bool:
    """Whether a scalar field of any matched item differs, in the stored listing, from what we pushed."""
    items = store.index.items(state.plex_keys).values()
    return any(edited_in_plex(item.fields, state.field_hashes, state.our_tags) for item in items)


def _unclaimed(walk: _Walk, library: PlexLibrary) -> None:
    for section in library.sections:
        for item in walk.store.index.iter_section(section.key):
            if item.rating_key not in walk.claimed:
                path = item.parts[0][0] if item.parts else "?"
                walk.report.add("unclaimed_in_plex", f"{item.rating_key} {path}")
