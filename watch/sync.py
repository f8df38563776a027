"""One watch-state pass (sync_watch_state): read both sides, decide per scene (`watch.decide`), make the requests.

Stash's side is one paged read of the scenes with a play or a resume point (its play data moves no updated_at, so
there is no "changed since" to ask for); Plex's side is the stored index, which the caller has just re-read from
the section listings (they carry the token account's viewCount, lastViewedAt and viewOffset): no request per item.
Only scenes synced to Plex items take part, and none out of scope.

The pass runs in the drainer under its lease, so two passes never move the same plays. Writes to Stash run no
hook and leave updated_at alone, so nothing they do is queued for Plex. Baselines are written before the requests
(marked moving) and after them (what really happened: `watch.decide.settled`), each in one short transaction,
never around a request.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Optional

from plex.client import PlexApi
from plex.errors import PlexDown
from plugin import log
from plugin.errors import PluginError
from stash.client import StashSource
from stash.errors import StashAnswerLost, StashUnavailable
from sync_queue import Store, meta
from sync_queue.scenes import SceneState
from sync_queue.timestamps import try_parse_instant
from sync_queue.vocab import SceneStatus
from sync_queue.watch import WatchBaseline
from watch.decide import Done, PlexWatch, StashWatch, WatchMove, decide, observed, settled

# How a Plex request is made: the drainer passes its concurrency limiter (`worker.batch.limited_call`).
Send = Callable[..., Any]


@dataclass
class WatchReport:
    scenes: int = 0  # scenes with watch state on either side (or a baseline), synced to Plex
    plays_to_stash: int = 0
    resumes_to_stash: int = 0
    plays_to_plex: int = 0
    resumes_to_plex: int = 0
    interrupted: int = 0  # scenes whose last move was cut short by a stopped process: taken as they are
    error: str = ""
    examples: list = field(default_factory=list)

    def count(self, done: Done) -> None:
        self.plays_to_stash += done.plays_to_stash
        self.resumes_to_stash += done.resume_to_stash
        self.plays_to_plex += done.plays_to_plex
        self.resumes_to_plex += done.resume_to_plex

    def summary(self, dry_run: bool = False) -> str:
        verb = "would move" if dry_run else "moved"
        text = (f"Watch state ({self.scenes} scenes with plays or resume points): {verb} "
                f"{_n(self.plays_to_stash, 'play')} and {_n(self.resumes_to_stash, 'resume point')} to Stash, "
                f"{_n(self.plays_to_plex, 'play')} and {_n(self.resumes_to_plex, 'resume point')} to Plex")
        if self.interrupted:
            text += f"; {self.interrupted} scenes whose last move was interrupted were taken as they are"
        return text + (f"; stopped: {self.error}" if self.error else "")


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


@dataclass(frozen=True)
class _Scene:
    scene_id: int
    baseline: Optional[WatchBaseline]
    stash: StashWatch
    plex: PlexWatch
    move: WatchMove
    views: int = 0  # the view count of the item plays are written to (its own, for the check after a lost answer)


def run_watch_sync(store: Store, stash: StashSource, plex: PlexApi, send: Send = lambda call, *args: call(*args),
                   dry_run: bool = False) -> WatchReport:
    """Brings watch state in step both ways (or, with `dry_run`, only counts what would move). The stored index
    must be fresh (`Context.library(reread=True)`). Raises PlexDown / StashUnavailable after recording what was
    done, so the caller can ask again later."""
    report = WatchReport()
    scenes = _read(store, stash, report, dry_run)
    moving = [s for s in scenes if s.move.writes]
    report.examples = [f"scene {s.scene_id}: {_describe(s.move)}" for s in moving[:3]]
    if dry_run:
        for scene in moving:
            report.count(Done.of(scene.move))
        return report
    quiet = {s.scene_id: s.move.after for s in scenes if not s.move.writes and s.move.after != s.baseline}
    store.watch.settle(quiet)
    store.watch.begin({s.scene_id: s.move.after for s in moving})
    outcomes: dict[int, Optional[WatchBaseline]] = {}
    stopped: Optional[PluginError] = None
    for scene in moving:
        done = Done()
        if stopped is None:
            try:
                _move(stash, plex, send, scene, done)
            except (PlexDown, StashUnavailable) as exc:
                stopped = exc
                if isinstance(exc, StashAnswerLost):  # it may have landed: the scene stays moving, and the next
                    report.count(done)               # pass takes it as found (no echo of a play Stash has)
                    continue
            except PluginError as exc:
                log.warning(f"Watch state of scene {scene.scene_id} not moved: {exc.message}")
        report.count(done)
        outcomes[scene.scene_id] = settled(scene.baseline, scene.stash, scene.plex, scene.move, done)
    store.watch.settle(outcomes)
    if stopped is not None:
        report.error = stopped.message
    store.meta.stamp(meta.WATCH_LAST_MOVE, report.summary(), time.time())
    if stopped is not None:
        raise stopped
    return report


def _read(store: Store, stash_source: StashSource, report: WatchReport, dry_run: bool) -> list[_Scene]:
    """Every scene with watch state on either side or a baseline, with its move decided (scenes whose last move
    was interrupted are taken as found, except in a dry run, which writes nothing)."""
    now = time.time()
    last = store.meta.stamped(meta.WATCH_LAST_MOVE)
    stash_side = stash_source.watched_scenes()
    baselines = store.watch.all()
    interrupted = store.watch.interrupted()
    plex_scenes = store.scenes.scenes_of_items(store.index.watched())
    candidates = set(stash_side) | set(plex_scenes.values()) | set(baselines) | interrupted
    states = store.scenes.get_many(candidates)
    items = store.index.items(key for state in states.values() for key in state.plex_keys)
    scenes, retaken = [], {}
    for scene_id in sorted(candidates):
        state = states.get(scene_id)
        if state is None or not _takes_part(state, items):
            continue
        stash = _stash_watch(stash_side.get(scene_id))
        plex = _plex_watch(state, items)
        report.scenes += 1
        if scene_id in interrupted:
            retaken[scene_id] = observed(stash, plex, now)
            continue
        baseline = baselines.get(scene_id)
        views = (items[plex.rating_key].fields.get("watch") or (0,))[0]
        scenes.append(_Scene(scene_id, baseline, stash, plex,
                             decide(baseline, stash, plex, now, last[0] if last else None), views))
    report.interrupted = len(retaken)
    if retaken and not dry_run:
        store.watch.settle(retaken)
        log.warning(f"Watch state: {len(retaken)} scenes were being moved when the plugin stopped; taken as they "
                    "are now (a play made just then may not have been moved)")
    return scenes


def _takes_part(state: SceneState, items: dict) -> bool:
    return (bool(state.plex_keys) and state.status != SceneStatus.OUT_OF_SCOPE
            and all(key in items for key in state.plex_keys))


def _stash_watch(scene: Optional[dict]) -> StashWatch:
    if scene is None:
        return StashWatch(0, None, 0.0)
    files = scene.get("files") or [{}]
    return StashWatch(int(scene.get("play_count") or 0), try_parse_instant(scene.get("last_played_at")),
                      float(scene.get("resume_time") or 0.0), float(scene.get("play_duration") or 0.0),
                      float(files[0].get("duration") or 0.0))


def _plex_watch(state: SceneState, items: dict) -> PlexWatch:
    """The scene's items together: views summed (each item's plays count once), the newest view, and the resume
    point of the most recently viewed item that has one. Writes go to the scene's first item."""
    plays, last_viewed, offset, offset_at = 0, None, 0, -1.0
    for key in state.plex_keys:
        views, viewed_at, item_offset = items[key].fields.get("watch") or (0, None, 0)
        plays += views
        if viewed_at is not None and (last_viewed is None or viewed_at > last_viewed):
            last_viewed = float(viewed_at)
        if item_offset and (viewed_at or 0) > offset_at:
            offset, offset_at = item_offset, float(viewed_at or 0)
    return PlexWatch(plays, last_viewed, offset, state.plex_keys[0])


def _move(stash: StashSource, plex: PlexApi, send: Send, scene: _Scene, done: Done) -> None:
    """The move's requests in order (Stash, then Plex plays, then Plex's point, which a play would clear). A write
    Stash refuses is logged and the scene's Plex moves still go (what did not arrive stays news: `settled`)."""
    move, scene_id = scene.move, scene.scene_id
    try:
        if move.plays_to_stash:
            when = datetime.fromtimestamp(move.play_time or time.time(), timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            stash.add_plays(scene_id, [when] * move.plays_to_stash)
            done.plays_to_stash = move.plays_to_stash
        if move.resume_to_stash_s is not None:
            stash.save_resume(scene_id, move.resume_to_stash_s)
            done.resume_to_stash = True
    except StashUnavailable:
        raise
    except PluginError as exc:
        log.warning(f"Watch state of scene {scene_id} not moved to Stash: {exc.message}")
    for _ in range(move.plays_to_plex):
        send(plex.mark_played, scene.plex.rating_key, scene.views + done.plays_to_plex)
        done.plays_to_plex += 1
    if move.resume_to_plex_ms is not None:
        send(plex.set_progress, scene.plex.rating_key, move.resume_to_plex_ms)
        done.resume_to_plex = True


def _describe(move: WatchMove) -> str:
    parts = []
    if move.plays_to_stash:
        parts.append(f"{_n(move.plays_to_stash, 'play')} to Stash")
    if move.resume_to_stash_s is not None:
        parts.append(f"resume at {move.resume_to_stash_s:.0f} s to Stash" if move.resume_to_stash_s
                     else "resume point cleared in Stash")
    if move.plays_to_plex:
        parts.append(f"{_n(move.plays_to_plex, 'play')} to Plex")
    if move.resume_to_plex_ms is not None:
        parts.append(f"resume at {move.resume_to_plex_ms / 1000:.0f} s to Plex")
    return ", ".join(parts)

