"""One batch of claimed jobs: fetch the scenes in one query, plan each, push in parallel, write each outcome as
its scene finishes.

The store is touched only from the worker thread (planning, then settling the results as they come); pool
threads do network I/O alone: one edit PUT per item with just the changed fields, the poster only when the
cover's hash changed.
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, field
from typing import Callable, Optional

from mapping.fields import SyncToggles, content_hash, desired_fields, diff, edited_in_plex, field_hash, field_hashes
from mapping.library import PlexLibrary
from mapping.matcher import MATCHED, MatchResult
from mapping.scope import scope_rule
from plex.errors import PlexAnswerLost, PlexDown, PlexError, PlexTooLong, PlexUnauthorized
from plex.push import (
    LISTED,
    MIN_SUMMARY_BYTES,
    build_edit_params,
    cut_to_fit,
    encode_params,
    encoded_length,
    needs_item,
)
from plugin import log
from plugin.errors import PluginError
from stash.client import Cover, StashSource
from stash.errors import StashError
from stash.scene import SceneMetadata, to_metadata
from sync_queue.queue import Job, SyncOutcome
from sync_queue.scenes import SceneState
from sync_queue.vocab import ErrorClass, SceneStatus
from worker.context import Context
from worker.outcomes import write_outcome


@dataclass
class Tally:
    """What happened to the jobs of a drain, for progress and the closing summary (by `SceneStatus`)."""

    counts: Counter = field(default_factory=Counter)
    done: int = 0  # kept apart from counts: the main thread reads it while the worker adds

    def add(self, status: SceneStatus) -> None:
        self.counts[status] += 1
        self.done += 1

    def summary(self) -> str:
        shown = ((SceneStatus.SYNCED, "synced"), (SceneStatus.UNCHANGED, "unchanged"), (SceneStatus.NOT_FOUND,
                 "not found"), (SceneStatus.AMBIGUOUS, "ambiguous"), (SceneStatus.RETRYING, "retrying"),
                 (SceneStatus.DEAD, "failed"))
        left_out = self.counts.get(SceneStatus.OUT_OF_SCOPE, 0)
        return (", ".join(f"{self.counts.get(status, 0)} {label}" for status, label in shown)
                + (f", {left_out} out of scope" if left_out else ""))


@dataclass
class ScenePlan:
    """What one scene needs, decided without any request. `last_pushed` holds the field hashes of our last
    push to these same items ({} = push every field); `ours` (tags by field) and `last_poster` what this plugin
    put on them before (nothing when the scene now matches other items); `retract` the tag kinds no longer
    chosen that still hold tags of ours, to be taken out."""

    job: Optional[Job]
    scene: SceneMetadata
    state: Optional[SceneState]
    fields: dict
    hashes: dict
    found: MatchResult
    last_pushed: dict
    ours: dict
    last_poster: Optional[str]
    fetch_cover: bool
    retract: tuple = ()
    # From the stored index, read here because pool threads must not touch the store: each matched item's
    # section, and the lists its listing showed (truncated: some entries of each, all of none).
    sections: dict = field(default_factory=dict)
    listed: dict = field(default_factory=dict)

    @property
    def changed(self) -> set:
        return diff(self.hashes, self.last_pushed)

    def cut_summary(self, summary: str) -> str:
        """Records that the summary sent is `summary` (cut to fit): its hash is what is stored once it lands."""
        self.fields["summary"] = summary
        self.hashes["summary"] = field_hash("summary", summary)
        return summary


@dataclass
class PushResult:
    status: Optional[SceneStatus]  # None when `error` is set
    rating_keys: tuple = ()
    poster_sha1: Optional[str] = None
    cover_pending: bool = False
    detail: str = ""
    error: Optional[PlexError] = None


def fetch_scenes(stash: StashSource, jobs: list[Job]) -> dict[int, dict]:
    """The batch's scenes from Stash in one query, by id (deleted scenes absent). Network only: the drainer runs
    it for the next batch in another thread while the current batch is pushed."""
    return {int(s["id"]): s for s in stash.scenes_by_ids(sorted({j.scene_id for j in jobs}))}


def run_batch(ctx: Context, jobs: list[Job], tally: Tally, fetched: Optional[Future] = None) -> None:
    """Processes claimed jobs (their scenes fetched already when `fetched` is given). On a failure that concerns
    the whole batch (Plex or Stash unreachable, token refused) the jobs not yet settled go back to the queue and
    a PluginError says why."""
    try:
        library = ctx.library()
        scenes = fetched.result() if fetched is not None else fetch_scenes(ctx.stash, jobs)
        states = ctx.store.scenes.get_many([j.scene_id for j in jobs])
        existing = [(job, to_metadata(scenes[job.scene_id])) for job in jobs if job.scene_id in scenes]
        # One commit for the batch: per-scene durable commits were most of a Sync All's time.
        ctx.store.queue.record_fetched((job.scene_id, scene.updated_at) for job, scene in existing)
        toggles = library.toggles()
        in_scope = [(job, scene) for job, scene in existing if not _left_out(ctx, job, scene, toggles, tally)]
        plans = [plan_scene(ctx, library, toggles, scene, states.get(job.scene_id), job) for job, scene in in_scope]
    except PluginError as exc:
        ctx.store.queue.release(jobs)
        if isinstance(exc, PlexDown):
            ctx.breaker.record_down()
        raise
    for job in jobs:
        if job.scene_id not in scenes:
            message = f"Scene {job.scene_id} does not exist in Stash"
            ctx.store.queue.dead_letter(job, ErrorClass.PERMANENT, message, attempts=1)
            log.warning(f"{message}; nothing to sync")
            tally.add(SceneStatus.DEAD)
    to_push = []
    with ctx.store.transaction():  # the scenes with nothing to send: no request in the air, one commit for all
        for plan in plans:
            result = nothing_to_send(plan)
            if result is None:
                to_push.append(plan)
            else:
                tally.add(write_outcome(ctx, library, plan, result))
    futures = {ctx.pool().submit(push_scene, ctx, library, plan): plan for plan in to_push}
    settle_as_done(ctx, library, futures, tally)


def nothing_to_send(plan: ScenePlan) -> Optional[PushResult]:
    """The result of a matched scene that needs no Plex request (nothing changed, no cover to fetch, no tag kind
    to take back: an unchanged re-sync), decided from its plan alone; None when it has requests to make."""
    if plan.found.status != MATCHED or plan.changed or plan.fetch_cover or plan.retract:
        return None
    return PushResult(SceneStatus.UNCHANGED, plan.found.rating_keys, plan.last_poster)


def settle_as_done(ctx: Context, library: PlexLibrary, futures: dict[Future, ScenePlan], tally: Tally) -> None:
    """Writes each scene's outcome as soon as its Plex requests have finished: the scenes that finished
    together (while the last commit ran) in one short transaction, never a whole batch, so a crash repeats only
    the scenes whose requests were in the air. Runs on the worker thread (the store's), no request inside a
    transaction. A refused token stops the batch: scenes not started yet are not sent, and they and the refused
    ones go back to the queue before the refusal is raised; so do the unsettled scenes if anything else raises."""
    unsettled = dict(futures)
    pending = set(futures)
    refused: Optional[PlexUnauthorized] = None
    try:
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            library.save_learned()
            finished = [(future, future.result()) for future in done if not future.cancelled()]
            if refused is None:
                refused = next((r.error for _, r in finished if isinstance(r.error, PlexUnauthorized)), None)
                if refused is not None:
                    for future in pending:
                        future.cancel()
            written = [(f, r) for f, r in finished if not isinstance(r.error, PlexUnauthorized)]
            with ctx.store.transaction():
                for future, result in written:
                    tally.add(write_outcome(ctx, library, unsettled[future], result))
            for future, _ in written:
                del unsettled[future]
    finally:
        if unsettled:
            for future in unsettled:
                future.cancel()
            wait(unsettled)  # nothing is handed back to the queue while a pool thread still pushes it
            ctx.store.queue.release([plan.job for plan in unsettled.values() if plan.job is not None])
    if refused is not None:
        raise refused


def _left_out(ctx: Context, job: Job, scene: SceneMetadata, toggles: SyncToggles, tally: Tally) -> bool:
    """Settles an out-of-scope scene as of what was fetched (so bulk passes drop it until it changes)."""
    rule = scope_rule(ctx.settings, scene)
    if rule is not None:
        digest = content_hash(field_hashes(desired_fields(scene, toggles)))
        ctx.store.queue.complete(job, SyncOutcome(SceneStatus.OUT_OF_SCOPE, updated_at=scene.updated_at,
                                                  content_hash=digest, message=rule))
        tally.add(SceneStatus.OUT_OF_SCOPE)
    return rule is not None


def plan_scene(ctx: Context, library: PlexLibrary, toggles: SyncToggles, scene: SceneMetadata,
               state: Optional[SceneState], job: Optional[Job] = None) -> ScenePlan:
    """Decides what the scene needs from the stored index and state alone (no request); also Dry Run's answer."""
    fields = desired_fields(scene, toggles)
    found = library.match(scene)
    same = state if state is not None and sorted(state.plex_keys) == sorted(found.rating_keys) else None
    last_pushed = dict(same.field_hashes) if same and not (job and job.full_push) else {}
    fetch_cover = ctx.settings.sync_poster and bool(scene.cover_url) and (
        same is None or same.cover_pending or same.poster_sha1 is None
        or scene.updated_at != same.last_synced_updated_at)
    ours = dict(same.our_tags) if same else {}
    plan = ScenePlan(job, scene, state, fields, field_hashes(fields), found, last_pushed, ours,
                     same.poster_sha1 if same else None, fetch_cover,
                     tuple(kind for kind in toggles.dropped_tag_kinds() if ours.get(kind)))
    for rating_key, item in ctx.store.index.items(found.rating_keys).items():
        plan.sections[rating_key] = item.section_id
        plan.listed[rating_key] = {name: list(item.fields.get(name) or []) for name in LISTED}
    return plan


def push_scene(ctx: Context, library: PlexLibrary, plan: ScenePlan) -> PushResult:
    """The scene's Plex requests (runs in a pool thread; no store access)."""
    if ctx.breaker.is_open:
        return PushResult(None, error=PlexDown("Plex is down; not trying until it answers again"))
    try:
        found = plan.found
        if found.status != MATCHED and plan.job is not None and plan.job.file_lookup:
            looked_up, sections = limited_call(ctx, library.find_by_file, plan.scene)
            if looked_up.status == MATCHED:
                found = looked_up
                plan.sections.update(sections)
        if found.status != MATCHED:
            return PushResult(SceneStatus(found.status), detail=found.detail)
        cover = _cover(ctx, plan.scene) if plan.fetch_cover else None
        wrote = False
        for rating_key in found.rating_keys:
            wrote |= _push_item(ctx, library, plan, rating_key)
            if cover is not None and cover.sha1 != plan.last_poster:
                limited_call(ctx, library.api.upload_poster, rating_key, cover.data)
                wrote = True
        ctx.breaker.record_success()
        return PushResult(SceneStatus.SYNCED if wrote else SceneStatus.UNCHANGED, found.rating_keys,
                          cover.sha1 if cover is not None else plan.last_poster, plan.fetch_cover and cover is None)
    except PlexError as exc:
        if isinstance(exc, PlexDown):
            ctx.breaker.record_down()
        return PushResult(None, error=exc)


def _push_item(ctx: Context, library: PlexLibrary, plan: ScenePlan, rating_key: int) -> bool:
    changed = set(plan.changed)
    current = None
    if ctx.settings.preserve_plex_edits and plan.last_pushed and changed:
        current = limited_call(ctx, library.api.read_item, rating_key)
        changed -= edited_in_plex(current, plan.last_pushed, plan.ours, plan.fields)
    if current is None and needs_item(changed, plan.retract):
        current = _listed_lists(library, plan, rating_key, changed)
        if current is None:
            current = limited_call(ctx, library.api.read_item, rating_key)
    params = build_edit_params(plan.fields, changed, current, plan.ours, plan.retract,
                               ctx.thread_stash().link_for_plex, plan.listed.get(rating_key))
    if params:
        _send_edit(ctx, library, plan, rating_key, params)
    return bool(params)


def _listed_lists(library: PlexLibrary, plan: ScenePlan, rating_key: int, changed: set) -> Optional[dict]:
    """The item's lists without reading it, when the listing can tell: on a first push of collections alone, a
    listing this drain read that showed no collection is complete (truncation keeps some), so there are none of
    the user's to keep. An older listing is not (the user may have added one since); labels are never listed."""
    if (plan.last_pushed or plan.retract or "labels" in changed or plan.sections[rating_key] not in library.listed_now
            or plan.listed.get(rating_key, {}).get("collections") != []):
        return None
    return {"collections": []}


def _send_edit(ctx: Context, library: PlexLibrary, plan: ScenePlan, rating_key: int, params: dict) -> None:
    """The item's one PUT with every changed field, the summary included. Only a server or proxy refusing the
    request line (`PlexTooLong`) changes that: when the summary is most of the line it is cut and the limit
    learned (`PlexLibrary.learn_summary_limit`: kept in the database, so later edits fit in one PUT at once);
    otherwise the edit is split, the other fields first, then the summary alone. The plan records the summary
    that was sent (its hash is stored, so a cut summary is not pushed again)."""
    while True:
        summary = params.get("summary.value", "")
        limit = library.summary_bytes
        if summary and limit and encoded_length(summary) > limit:  # learned by another push since the plan
            summary = cut_to_fit(summary, max(MIN_SUMMARY_BYTES, limit))
            params["summary.value"] = plan.cut_summary(summary)
        try:
            _edit(ctx, library, plan, rating_key, params)
            return
        except PlexTooLong:
            size = encoded_length(summary)
            rest = {name: value for name, value in params.items() if not name.startswith("summary.")}
            if size > MIN_SUMMARY_BYTES and size > len(encode_params(rest)):
                library.learn_summary_limit(size)
                continue
            if not summary or not rest:
                raise
        _edit(ctx, library, plan, rating_key, rest)
        params = {"summary.value": summary, "summary.locked": "1"}  # then the summary alone, cut if it must be


# Request lines shorter than this pass every server and proxy in front of Plex (nginx, Apache, Node: 8 KB or more).
CUT_SUSPECT_BYTES = 4000


def _edit(ctx: Context, library: PlexLibrary, plan: ScenePlan, rating_key: int, params: dict) -> None:
    """One edit PUT (idempotent: it sets fields). Some proxies cut the connection instead of answering 414: a
    long edit whose connection was cut while it was sent (the transport's `PlexAnswerLost`, or `PlexDown` when
    the cut came before anything was sent) while Plex answers a ping at once is a refused request line."""
    try:
        limited_call(ctx, library.api.edit, rating_key, plan.sections[rating_key], params)
    except (PlexDown, PlexAnswerLost) as cut:
        if len(encode_params(params)) < CUT_SUSPECT_BYTES:
            raise
        try:
            limited_call(ctx, library.api.ping)
        except PlexError:
            raise cut from None
        raise PlexTooLong("Plex, or a proxy in front of it, cut the connection while a long edit was sent and "
                          "answers otherwise: the request line is taken as too long") from None


def limited_call(ctx: Context, call: Callable, *args):
    """One Plex request inside the adaptive concurrency limit (`worker.throttle`), which learns from its latency
    (each kind of request, named by the method, has its own cost) and from whether it raised."""
    with ctx.limiter.request(call.__name__):
        return call(*args)


def _cover(ctx: Context, scene: SceneMetadata) -> Optional[Cover]:
    try:
        return ctx.thread_stash().fetch_cover(scene.cover_url or "")
    except StashError as exc:
        log.scene(log.WARNING, f"Cover of scene {scene.scene_id} could not be read from Stash: {exc.message}")
        return None
