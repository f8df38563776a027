"""One batch of claimed jobs: fetch the scenes in one query, match, diff, push in parallel, record.

The database is touched only from the drainer's thread; pool threads do network I/O alone (one edit
PUT per item with just the changed fields, the poster only when the cover's hash changed).
"""

from __future__ import annotations

import json
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Optional

from plex.errors import PlexDown, PlexError, PlexNotFound, PlexPermanent, PlexUnauthorized
from plex.fields import SyncToggles, content_hash, desired_fields, diff, edited_in_plex, field_hashes
from plex.matcher import MatchResult, find_by_file
from plex.push import build_edit_params, push, read_item, upload_poster
from plugin import log
from plugin.errors import PluginError
from stash.client import StashError
from stash.scene import SceneMetadata, to_metadata
from sync_queue import plex_items
from sync_queue.models import Job, SyncOutcome
from sync_queue.state import SceneState, get_states
from sync_queue.txn import write_txn
from worker import retry

POSTER = "poster"
# Jobs for files a scan just added to Stash, which Plex may also have scanned since our index was built:
# the only ones worth a targeted lookup (anything else absent from the index is absent from Plex).
JUST_SCANNED = ("created", "scanned")
OUR_COLLECTIONS = "_collections"


@dataclass
class BatchTally:
    """What happened to the jobs of a drain, for progress and the closing summary."""

    counts: Counter = field(default_factory=Counter)

    @property
    def done(self) -> int:
        return sum(self.counts.values())

    def add(self, status: str) -> None:
        self.counts[status] += 1

    def summary(self) -> str:
        order = ("synced", "unchanged", "not_found", "ambiguous", "retrying", "failed")
        parts = [f"{self.counts.get(k, 0)} {k.replace('_', ' ')}" for k in order]
        return ", ".join(parts)


@dataclass
class ScenePlan:
    job: Job
    meta: SceneMetadata
    state: Optional[SceneState]
    fields: dict
    hashes: dict
    previous: dict
    found: MatchResult
    fetch_cover: bool
    # From the stored index, read here because pool threads must not touch the database:
    # each matched item's section, and the collections its listing showed (None = unknown).
    sections: dict = field(default_factory=dict)
    listed_collections: dict = field(default_factory=dict)

    @property
    def changed(self) -> set:
        return diff(self.hashes, self.previous)


@dataclass
class PushResult:
    status: str
    rating_keys: list = field(default_factory=list)
    pushed_hashes: dict = field(default_factory=dict)
    cover_pending: bool = False
    detail: str = ""
    error: Optional[PlexError] = None


def run_batch(rt, jobs: list[Job], tally: BatchTally) -> None:
    """Processes claimed jobs; on a failure that concerns the whole batch, releases them and raises."""
    try:
        rt.sections  # noqa: B018 - connects to Plex and refreshes the stored index if Plex rescanned
        scenes = {int(s["id"]): s for s in rt.stash.scenes_by_ids(sorted({j.scene_id for j in jobs}))}
    except (PluginError, PlexError) as exc:
        rt.queue.release(jobs)
        if isinstance(exc, PlexDown):
            rt.breaker.record_down()
        raise PluginError(log.redact(getattr(exc, "message", None) or str(exc))) from None
    states = get_states(rt.conn, [j.scene_id for j in jobs])
    fetched = []
    for job in jobs:
        scene = scenes.get(job.scene_id)
        if scene is None:
            rt.queue.dead_letter(job, retry.PERMANENT, f"Scene {job.scene_id} does not exist in Stash", attempts=1)
            log.warning(f"Scene {job.scene_id} does not exist in Stash; nothing to sync")
            tally.add("failed")
            continue
        fetched.append((job, to_metadata(scene)))
    # One commit per batch, not per scene: with durable commits, per-scene transactions were most of
    # a 5,000-scene Sync All's time. No network call happens while these transactions hold the lock.
    with write_txn(rt.conn):
        for job, meta in fetched:
            rt.queue.record_fetched(job.scene_id, meta.updated_at)
    plans = [plan_scene(rt, job, meta, states.get(job.scene_id)) for job, meta in fetched]
    with ThreadPoolExecutor(max_workers=rt.settings.plex_parallelism) as pool:
        results = list(pool.map(lambda plan: execute(rt, plan), plans))
    refused = next((i for i, r in enumerate(results) if isinstance(r.error, PlexUnauthorized)), len(results))
    with write_txn(rt.conn):
        for plan, result in zip(plans[:refused], results[:refused]):
            record(rt, plan, result, tally)
    if refused < len(results):
        rt.queue.release([p.job for p in plans[refused:]])
        raise PluginError(results[refused].error.message)


def plan_scene(rt, job: Optional[Job], meta: SceneMetadata, state: Optional[SceneState]) -> ScenePlan:
    """Decides, without any request, what the scene needs: which items, which fields, whether a cover."""
    toggles = SyncToggles.from_settings(rt.settings)
    fields = desired_fields(meta, toggles)
    hashes = field_hashes(fields)
    found = rt.match(meta)
    same_items = state is not None and sorted(state.plex_keys) == sorted(found.rating_keys)
    previous = dict(state.field_hashes) if same_items else {}
    if previous and job is not None and job.reason == "drift":
        # Plex shows something else than we pushed: push every field again, but not an unchanged poster.
        previous = {POSTER: previous[POSTER]} if POSTER in previous else {}
    fetch_cover = rt.settings.sync_poster and bool(meta.cover_url) and (
        not previous or state.cover_pending or meta.updated_at != state.last_synced_updated_at
        or POSTER not in previous)
    plan = ScenePlan(job, meta, state, fields, hashes, previous, found, fetch_cover)
    for rating_key in found.rating_keys:
        item = plex_items.get_item(rt.conn, rating_key)
        if item is not None:
            plan.sections[rating_key] = item.section_id
            plan.listed_collections[rating_key] = list(item.fields.get("collections") or [])
    return plan


def execute(rt, plan: ScenePlan) -> PushResult:
    """The scene's Plex requests (runs in a pool thread; no database access)."""
    try:
        found = plan.found
        if found.status == "not_found" and plan.job is not None and plan.job.reason in JUST_SCANNED:
            found = _targeted_lookup(rt, plan)
        if found.status != "matched":
            return PushResult(status=found.status, detail=found.detail)
        if rt.breaker.is_open:
            raise PlexDown("Plex is down; not trying until it answers again")
        cover = _cover(rt, plan) if plan.fetch_cover else None
        wrote = False
        pushed = dict(plan.hashes)
        for rating_key in found.rating_keys:
            wrote |= _push_item(rt, plan, rating_key, plan.changed)
            if cover is not None and cover.sha1 != plan.previous.get(POSTER):
                _timed(rt, upload_poster, rt.plex, rating_key, cover.data)
                wrote = True
        if cover is not None:
            pushed[POSTER] = cover.sha1
        elif POSTER in plan.previous:
            pushed[POSTER] = plan.previous[POSTER]
        pushed[OUR_COLLECTIONS] = json.dumps(list(plan.fields.get("collections", ())), ensure_ascii=False)
        cover_pending = plan.fetch_cover and cover is None
        rt.breaker.record_success()
        return PushResult("synced" if wrote else "unchanged", list(found.rating_keys), pushed, cover_pending)
    except PlexError as exc:
        if isinstance(exc, PlexDown):
            rt.breaker.record_down()
        return PushResult(status="error", error=exc)


def _push_item(rt, plan: ScenePlan, rating_key: int, changed: set) -> bool:
    ours = json.loads(plan.previous.get(OUR_COLLECTIONS, "[]"))
    current = None
    if rt.settings.preserve_plex_edits and plan.previous:
        current = _timed(rt, read_item, rt.plex, rating_key)
        changed -= edited_in_plex(current, plan.previous, ours)
    collections = None
    if "collections" in changed:
        # A listing that showed no collection is complete (truncation keeps some), so on a first push
        # the user's own collections are known without reading the item.
        if current is None and (ours or plan.listed_collections.get(rating_key) != []):
            current = _timed(rt, read_item, rt.plex, rating_key)
        collections = current["collections"] if current is not None else []
    params = build_edit_params(plan.fields, changed, collections, ours)
    if not params:
        return False
    return bool(_timed(rt, push, rt.plex, rating_key, plan.sections[rating_key], params))


def _timed(rt, call, *args):
    started = time.monotonic()
    with rt.limiter:
        try:
            result = call(*args)
        except PlexError:
            rt.limiter.record(time.monotonic() - started, ok=False)
            raise
    rt.limiter.record(time.monotonic() - started, ok=True)
    return result


def _cover(rt, plan: ScenePlan):
    try:
        return rt.thread_stash().fetch_cover(rt.stash.cover_url(plan.meta.cover_url))
    except StashError as exc:
        log.warning(f"Cover of scene {plan.meta.scene_id} could not be read from Stash: {exc}")
        return None


def _targeted_lookup(rt, plan: ScenePlan) -> MatchResult:
    """A file Plex may have scanned after our index was built: one `file=` query per file, asked only of
    the libraries whose folders hold the mapped path (of all of them when none does)."""
    keys = []
    for scene_file in plan.meta.files:
        plex_path = rt.path_map.to_plex(scene_file.path)
        holding = [s for s in rt.sections if any(plex_path.startswith(root.rstrip("/") + "/") for root in s.locations)]
        for section in holding or rt.sections:
            for part in _timed(rt, find_by_file, rt.plex, section.key, plex_path):
                keys.append(part.rating_key)
                plan.sections[part.rating_key] = section.key
    if not keys:
        return plan.found
    return MatchResult("matched", sorted(set(keys)), "found by file lookup")


def record(rt, plan: ScenePlan, result: PushResult, tally: BatchTally) -> None:
    """Writes the outcome of one scene (drainer thread)."""
    job, meta = plan.job, plan.meta
    if result.status in ("synced", "unchanged"):
        rt.queue.complete(job, SyncOutcome(
            status=result.status, updated_at=meta.updated_at, content_hash=content_hash(plan.hashes),
            field_hashes=result.pushed_hashes, plex_keys=result.rating_keys, cover_pending=result.cover_pending))
        tally.add(result.status)
        return
    if result.status == "ambiguous":
        message = f"Scene {meta.scene_id}: {rt.describe(result.detail)}; not guessed (strict_matching)"
        log.warning(message)
        rt.queue.complete(job, SyncOutcome(status="ambiguous", updated_at=meta.updated_at, message=message))
        tally.add("ambiguous")
        return
    if result.status == "not_found":
        _not_found(rt, plan, tally)
        return
    _failed(rt, plan, result.error, tally)


def _not_found(rt, plan: ScenePlan, tally: BatchTally) -> None:
    job, meta = plan.job, plan.meta
    paths = ", ".join(rt.describe(f.path) for f in meta.files) or "no files"
    message = f"Scene {meta.scene_id} is not in Plex ({paths})"
    attempts = (plan.state.attempts if plan.state else 0) + 1
    decision = retry.decide(retry.NOT_FOUND, attempts, rt.settings.max_retries)
    if rt.settings.skip_not_found or decision.delay_s is None:
        rt.queue.complete(job, SyncOutcome(status="not_found", updated_at=meta.updated_at, message=message))
        tally.add("not_found")
        return
    rt.queue.retry_later(job, retry.NOT_FOUND, message, decision.delay_s)
    log.info(f"{message}; trying again in {decision.delay_s / 60:.0f} min")
    tally.add("not_found")


def _failed(rt, plan: ScenePlan, error: PlexError, tally: BatchTally) -> None:
    job = plan.job
    if isinstance(error, PlexDown):
        error_class = retry.PLEX_DOWN
    elif isinstance(error, PlexPermanent):
        error_class = retry.PERMANENT
    else:
        error_class = retry.TRANSIENT
        if isinstance(error, PlexNotFound):
            rt.forget_index()  # the item vanished: Plex rescanned under new keys
    attempts = (plan.state.attempts if plan.state else 0) + (0 if error_class == retry.PLEX_DOWN else 1)
    decision = retry.decide(error_class, attempts, rt.settings.max_retries)
    message = f"Scene {job.scene_id}: {error.message}"
    if decision.delay_s is None:
        rt.queue.dead_letter(job, error_class, message, attempts)
        log.error(f"{message} (gave up after {attempts} attempts; see Dead Letters)")
        tally.add("failed")
        return
    rt.queue.retry_later(job, error_class, message, decision.delay_s, count_attempt=decision.counts_attempt)
    if error_class != retry.PLEX_DOWN:
        log.warning(f"{message}; retrying in {decision.delay_s:.0f} s")
    tally.add("retrying")
