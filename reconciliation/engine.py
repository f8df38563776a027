"""The gap engine: compares Stash pages, the stored Plex index and the sync state, and enqueues what
is out of step — through the same dedup rule as everything else, so running it any number of times,
concurrently with a drain, never multiplies work.

Gaps: never synced; changed since the last sync (newer updated_at or another content hash, e.g. a
renamed tag); drifted in Plex (a scalar field differs from what we pushed — listings truncate tag
lists, so only full reads could judge those); not in Plex (reported, and retried only once the Plex
library was rescanned); Plex items no scene claims (reported, for a full reconcile).
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Callable, Optional

from plex.fields import SyncToggles, content_hash, desired_fields, edited_in_plex, field_hashes
from stash.scene import to_metadata
from sync_queue import plex_items
from sync_queue.enqueue import EnqueueRequest, enqueue
from sync_queue.meta import get_meta, set_meta
from sync_queue.state import get_states, iter_states
from sync_queue.timestamps import try_parse_instant

PAGE_SIZE = 500
EXAMPLES = 3
RECENT_FALLBACK = timedelta(hours=24)
# Stash compares its local-time text: look back a little further than the last run.
RECENT_MARGIN = timedelta(hours=1)
COVER_WAIT = timedelta(days=7)
GAPS = ("never_synced", "changed", "drifted", "not_in_plex", "unclaimed_in_plex")


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


def run_reconcile(rt, scope: str, progress: Optional[Callable[[float], None]] = None) -> ReconcileReport:
    started = time.time()
    report = ReconcileReport(scope=scope)
    # Re-read the listings (cheap: one request per 1,000 items) so drift is judged on what Plex shows now.
    rt.refresh_index(force=True)
    last_run = float(get_meta(rt.conn, "last_reconcile_run") or 0)
    rescanned = float(get_meta(rt.conn, "plex_library_changed_at") or 0) > last_run
    toggles = SyncToggles.from_settings(rt.settings)
    claimed: set[int] = set()
    seen: set[int] = set()
    for page in rt.stash.scene_pages(per_page=PAGE_SIZE, updated_since=_since(rt, scope)):
        states = get_states(rt.conn, [int(s["id"]) for s in page.scenes])
        seen.update(int(s["id"]) for s in page.scenes)
        requests = []
        for scene in page.scenes:
            request = _gap(rt, report, scene, states.get(int(scene["id"])), toggles, rescanned, claimed)
            if request is not None:
                requests.append(request)
        report.scenes += len(page.scenes)
        report.queued += enqueue(rt.conn, requests).queued
        if progress:
            progress(min(1.0, page.page * PAGE_SIZE / max(1, page.count)))
    if scope == "all":
        _unclaimed(rt, report, claimed)
    elif rescanned:
        _absent_outside_scope(rt, report, seen)
    set_meta(rt.conn, "last_reconcile_run", str(started))
    return report


def scene_request(scene: dict, toggles: SyncToggles, reason: str, force: bool = False) -> EnqueueRequest:
    """A request carrying what the dedup rule needs to drop an in-step scene: its updated_at and the hash
    of what Plex should show (which changes without updated_at when a tag or performer is renamed)."""
    meta = to_metadata(scene)
    digest = content_hash(field_hashes(desired_fields(meta, toggles)))
    return EnqueueRequest(scene_id=meta.scene_id, reason=reason, force=force, updated_at=meta.updated_at,
                          content_hash=digest)


def _since(rt, scope: str) -> Optional[datetime]:
    if scope == "all":
        return None
    last = get_meta(rt.conn, "last_reconcile_run")
    if last:
        return datetime.fromtimestamp(float(last), timezone.utc) - RECENT_MARGIN
    return datetime.now(timezone.utc) - RECENT_FALLBACK


def _gap(rt, report: ReconcileReport, scene: dict, state, toggles, rescanned: bool,
         claimed: set) -> Optional[EnqueueRequest]:
    base = scene_request(scene, toggles, "never_synced")
    label = f"scene {base.scene_id}"

    def request(reason: str, force: bool = False) -> EnqueueRequest:
        return EnqueueRequest(scene_id=base.scene_id, reason=reason, force=force, updated_at=base.updated_at,
                              content_hash=base.content_hash)

    absent = _absent(state)
    if state is None or (state.last_synced_epoch is None and not absent):
        report.add("never_synced", label)
        return request("never_synced")
    claimed.update(state.plex_keys)
    if absent:
        report.add("not_in_plex", f"{label} (ambiguous)" if state.status == "ambiguous" else label)
        # Only a rescan of Plex can make it appear, and then at once: its spaced retry may be hours away
        # (the job's completion clears that retry, so the scene is not tried twice).
        return request("library_rescanned", force=True) if rescanned else None
    if state.content_hash != base.content_hash or _newer(base.updated_at, state.last_synced_epoch):
        report.add("changed", label)
        return request("changed")
    if state.cover_pending and _recent(scene.get("created_at")):
        report.add("changed", f"{label} (cover)")
        return request("cover_pending", force=True)
    if not rt.settings.preserve_plex_edits and _drifted(rt, state):
        report.add("drifted", label)
        return request("drift", force=True)
    return None


def _absent(state) -> bool:
    return state is not None and (state.status in ("not_found", "ambiguous") or state.error_class == "not_found")


def _absent_outside_scope(rt, report: ReconcileReport, seen: set) -> None:
    """After a rescan, scenes Plex lacked are worth one more try even if Stash did not change them lately."""
    ids = [s.scene_id for s in iter_states(rt.conn) if s.scene_id not in seen and _absent(s)]
    for start in range(0, len(ids), PAGE_SIZE):
        chunk = ids[start:start + PAGE_SIZE]
        for scene_id in chunk:
            report.add("not_in_plex", f"scene {scene_id}")
        requests = [EnqueueRequest(scene_id=i, reason="library_rescanned", force=True) for i in chunk]
        report.queued += enqueue(rt.conn, requests).queued


def _recent(created_at: Optional[str]) -> bool:
    """Stash generates a scanned scene's cover within minutes; after a week, no cover means none at all."""
    epoch = try_parse_instant(created_at)
    return epoch is not None and time.time() - epoch < COVER_WAIT.total_seconds()


def _newer(updated_at: Optional[str], synced_epoch: Optional[float]) -> bool:
    epoch = try_parse_instant(updated_at)
    return epoch is not None and (synced_epoch is None or epoch > synced_epoch)


def _drifted(rt, state) -> bool:
    """Whether a scalar field of any matched item differs, in the stored listing, from what we pushed."""
    ours = json.loads(state.field_hashes.get("_collections", "[]"))
    for rating_key in state.plex_keys:
        item = plex_items.get_item(rt.conn, rating_key)
        if item is not None and edited_in_plex(item.fields, state.field_hashes, ours):
            return True
    return False


def _unclaimed(rt, report: ReconcileReport, claimed: set) -> None:
    for section in rt.sections:
        for item in plex_items.iter_items(rt.conn, section.key):
            if item.rating_key not in claimed:
                path = item.parts[0][0] if item.parts else "?"
                report.add("unclaimed_in_plex", f"{item.rating_key} {rt.describe(path)}")
