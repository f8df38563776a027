"""Writing what one push did: completed, retry scheduled by error class, or dead-lettered (worker thread).

The retry policy itself is `worker.retry`; this module maps a push result onto it and onto the store.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mapping.fields import OURS_KEPT, content_hash
from mapping.library import PlexLibrary
from plex.errors import PlexDown, PlexError, PlexNotFound, PlexPermanent
from plugin import log
from sync_queue.queue import Job, SyncOutcome
from sync_queue.vocab import IN_STEP, ErrorClass, SceneStatus
from worker import retry
from worker.context import Context

if TYPE_CHECKING:
    from worker.batch import PushResult, ScenePlan


def write_outcome(ctx: Context, library: PlexLibrary, plan: ScenePlan, result: PushResult) -> SceneStatus:
    """Records the result of one scene's push; returns the status it counts as in the drain's tally. Only a
    queued scene's plan is settled (Dry Run's plans have no job and are never written)."""
    job, scene = plan.job, plan.scene
    if job is None:
        raise ValueError(f"scene {scene.scene_id}: a plan without a job cannot be settled")
    if result.status in IN_STEP:
        hashes = plan.hashes  # what was sent: a summary Plex refused whole was cut (`ScenePlan.cut_summary`)
        ctx.store.queue.complete(job, SyncOutcome(
            result.status, updated_at=scene.updated_at, content_hash=content_hash(hashes), field_hashes=hashes,
            plex_keys=list(result.rating_keys), cover_pending=result.cover_pending,
            poster_sha1=result.poster_sha1, our_tags=our_tags(plan)))
        return result.status
    if result.status == SceneStatus.AMBIGUOUS:
        message = f"Scene {scene.scene_id}: {result.detail}; not guessed (strict_matching)"
        log.scene(log.WARNING, message)
        ctx.store.queue.complete(job, SyncOutcome(SceneStatus.AMBIGUOUS, updated_at=scene.updated_at,
                                                  message=message))
        return SceneStatus.AMBIGUOUS
    if result.status == SceneStatus.NOT_FOUND:
        if ctx.settings.scan_new_files:
            ctx.scans.note(library, scene, job.file_lookup)
        return _not_found(ctx, job, plan)
    if result.error is None:
        raise ValueError(f"scene {scene.scene_id}: a push result with neither a status nor an error")
    return _failed(ctx, library, job, plan, result.error)


def our_tags(plan: ScenePlan) -> dict:
    """What this plugin's entries are after the push, by field: as before, replaced where pushed, none left in a
    kind taken back (empty lists dropped)."""
    ours = {**plan.ours, **{name: list(plan.fields[name]) for name in OURS_KEPT if name in plan.fields}}
    ours.update({name: [] for name in plan.retract})
    return {name: values for name, values in ours.items() if values}


def _not_found(ctx: Context, job: Job, plan: ScenePlan) -> SceneStatus:
    scene = plan.scene
    paths = ", ".join(f.path for f in scene.files) or "no files"
    message = f"Scene {scene.scene_id} is not in Plex ({paths})"
    attempts = (plan.state.attempts if plan.state else 0) + 1
    decision = retry.decide(ErrorClass.NOT_FOUND, attempts, ctx.settings.max_retries)
    if ctx.settings.skip_not_found or decision.delay_s is None:
        ctx.store.queue.complete(job, SyncOutcome(SceneStatus.NOT_FOUND, updated_at=scene.updated_at,
                                                  message=message))
    else:
        ctx.store.queue.retry_later(job, ErrorClass.NOT_FOUND, message, decision.delay_s)
        log.scene(log.INFO, f"{message}; trying again in {decision.delay_s / 60:.0f} min")
    return SceneStatus.NOT_FOUND


def error_class(error: PlexError) -> ErrorClass:
    if isinstance(error, PlexDown):
        return ErrorClass.PLEX_DOWN
    if isinstance(error, PlexPermanent):
        return ErrorClass.PERMANENT
    return ErrorClass.TRANSIENT


def _failed(ctx: Context, library: PlexLibrary, job: Job, plan: ScenePlan, error: PlexError) -> SceneStatus:
    kind = error_class(error)
    if isinstance(error, PlexNotFound):
        library.forget()  # the item vanished: Plex rescanned under new keys
    attempts = (plan.state.attempts if plan.state else 0) + (0 if kind == ErrorClass.PLEX_DOWN else 1)
    decision = retry.decide(kind, attempts, ctx.settings.max_retries)
    message = f"Scene {job.scene_id}: {error.message}"
    if decision.delay_s is None:
        ctx.store.queue.dead_letter(job, kind, message, attempts)
        log.error(f"{message} (gave up after {attempts} attempts; see Dead Letters)")
        return SceneStatus.DEAD
    ctx.store.queue.retry_later(job, kind, message, decision.delay_s, count_attempt=decision.counts_attempt)
    if kind != ErrorClass.PLEX_DOWN:
        log.scene(log.WARNING, f"{message}; retrying in {decision.delay_s:.0f} s")
    return SceneStatus.RETRYING
