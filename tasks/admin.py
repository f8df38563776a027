"""Tasks that inspect or repair rather than sync: queue status, dead letters, health check, dry run."""

from __future__ import annotations

import time
from collections import Counter

from mapping.path_map import PathMap
from mapping.scope import scope_group, scope_rule
from plex.errors import PlexError
from plex.parse import normalise_path
from plugin import log
from plugin.errors import PluginError
from plugin.paths import foreign_files
from stash.client import walk_scenes
from stash.scene import to_metadata
from sync_queue.index import basename
from tasks.health import OWNER_TOKEN, connect_advice, container_evidence, path_map_advice
from tasks.operations import overview
from tasks.sync import drain_foreground
from watch.sync import run_watch_sync
from worker.batch import plan_scene
from worker.context import Context

EXAMPLES = 5


def queue_status(ctx: Context) -> str:
    """The status page's numbers (`tasks.operations.overview`), as one line of text."""
    o = overview(ctx.store, None)
    drainer, last = o["drainer"], o["last_auto_reconcile"]
    lines = [
        f"queued {o['queued']}, in progress {o['in_progress']}",
        "scenes: " + (", ".join(f"{status} {n}" for status, n in sorted(o["scenes"].items())) or "none yet"),
        f"dead letters {o['dead_letters']['total']}",
        f"next retry {_when(o['next_retry_at'])}",
        f"drainer {'running (pid ' + str(drainer['pid']) + ')' if drainer['running'] else 'idle'}",
        f"last auto-reconcile {_when(last) if last else 'never'}",
    ]
    if o["last_error"]:
        lines.append(f"the background sync stopped {_when(o['last_error']['at'])}: {o['last_error']['message']}")
    if ctx.settings.sync_watch_state:
        watch = o["passes"]["watch"]
        lines.append("last watch-state pass: " + (f"{watch['summary']} ({_when(watch['at'])})" if watch else "never"))
    return "Queue status: " + "; ".join(lines)


def dead_letters_list(ctx: Context) -> str:
    letters = ctx.store.dead_letters.newest(limit=50)
    for letter in letters:
        log.info(f"dead letter: scene {letter.scene_id} [{letter.error_class}] after {letter.attempts} attempts, "
                 f"{_when(letter.failed_at)}: {letter.message}")
    total = ctx.store.dead_letters.count()
    return f"{total} dead letters" + (f" (listed the newest {len(letters)})" if total > len(letters) else "")


def dead_letters_retry(ctx: Context) -> str:
    retried = ctx.store.dead_letters.retry(None)
    return f"{retried} dead letters queued again; {drain_foreground(ctx, retried)}"


def dead_letters_clear(ctx: Context) -> str:
    return f"{ctx.store.dead_letters.clear_all()} dead letters cleared"


def health_check(ctx: Context) -> str:
    """The runtime packages, the last background failure, Plex reachable with the token, the libraries, and how
    a sample of scenes maps onto Plex."""
    log.info("Packages: " + ", ".join(f"{name} {_version(name)}" for name in RUNTIME_PACKAGES))
    failure = ctx.store.meta.failure()
    if failure:
        log.warning(f"The background sync last stopped {_when(failure[0])}: {failure[1]}")
    foreign = foreign_files()
    if foreign:
        log.info(f"{len(foreign)} files in the plugin folder are not Stash2Plex's (left by an earlier plugin?), "
                 f"left alone: {', '.join(foreign[:20])}{' …' if len(foreign) > 20 else ''}")
    try:
        library = ctx.library()
    except PlexError as exc:
        advice = connect_advice(exc, ctx.settings.plex_url, container_evidence())
        raise PluginError(f"Health check failed: {advice}") from None
    log.info(f"Plex {getattr(library.api, 'name', 'server')} is reachable and accepts the token")
    log.info("Libraries: " + ", ".join(f"{s.title!r} ({', '.join(s.locations)})" for s in library.sections)
             + f"; {ctx.store.index.item_count()} items indexed")
    log.info(f"Path mapping: {library.path_map or 'none (paths compared as they are)'}")
    problems = [] if library.api.token_owns_server() else [OWNER_TOKEN]
    page = next(iter(ctx.stash.scene_pages(per_page=20)), None)
    scenes = list(map(to_metadata, page.scenes if page else []))
    found_as: Counter = Counter()
    for scene in scenes:
        found = library.match(scene)
        found_as[found.status] += 1
        if found_as[found.status] <= 2 and scene.files:
            log.info(f"sample: scene {scene.scene_id} {scene.files[0].path} -> {found.status} "
                     f"{list(found.rating_keys) or ''} {found.detail}")
    stash_paths = [f.path for scene in scenes for f in scene.files]
    same_names = ctx.store.index.by_basenames(basename(normalise_path(p)) for p in stash_paths)
    mapped = path_map_advice(PathMap.from_pairs(ctx.settings.path_map), stash_paths,
                             [part.path for parts in same_names.values() for part in parts])
    problems += [mapped] if mapped else []
    sample = ", ".join(f"{n} {status.replace('_', ' ')}" for status, n in sorted(found_as.items()))
    if problems:
        raise PluginError(f"Health check found {len(problems)} problem{'s' * (len(problems) > 1)} "
                          f"(sample of scenes: {sample}): " + " ".join(problems))
    return (f"Health check passed: Plex reachable, token valid, {len(library.sections)} libraries, "
            f"sample of scenes: {sample}")


def dry_run(ctx: Context) -> str:
    """What a Sync All would change, field by field, computed from the stored index: nothing is written."""
    fields: Counter = Counter()
    found_as: Counter = Counter()
    examples: list[str] = []
    # With watch state, the listings carry Plex's play state: read them now, once.
    library = ctx.library(reread=ctx.settings.sync_watch_state)
    toggles = ctx.toggles()
    for page in walk_scenes(ctx.stash, log.progress):
        states = ctx.store.scenes.get_many(int(s["id"]) for s in page.scenes)
        for scene in map(to_metadata, page.scenes):
            rule = scope_rule(ctx.settings, scene)
            if rule is not None:
                found_as[f"out of scope ({scope_group(rule)})"] += 1
                continue
            plan = plan_scene(ctx, library, toggles, scene, states.get(scene.scene_id))
            if plan.found.status != "matched":
                found_as[plan.found.status] += 1
                continue
            changed = sorted(plan.changed) + [f"{kind} taken back" for kind in plan.retract]
            found_as["would change" if changed else "unchanged"] += 1
            fields.update(changed)
            if changed and len(examples) < EXAMPLES:
                examples.append(f"scene {scene.scene_id} -> Plex {list(plan.found.rating_keys)}: {', '.join(changed)}")
    for example in examples:
        log.info(f"dry run: {example}")
    per_field = ", ".join(f"{name} {n}" for name, n in fields.most_common()) or "none"
    summary = ", ".join(f"{n} {status.replace('_', ' ')}" for status, n in sorted(found_as.items()))
    watch = ""
    if ctx.settings.sync_watch_state:
        report = run_watch_sync(ctx.store, ctx.stash, library.api, dry_run=True)
        for example in report.examples:
            log.info(f"dry run: {example}")
        watch = f". {report.summary(dry_run=True)}"
    return f"Dry run (nothing written): {summary}; fields that would change: {per_field}{watch}"


RUNTIME_PACKAGES = ("plexapi", "persist-queue", "requests")


def _version(distribution: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(distribution)
    except PackageNotFoundError:
        raise PluginError(f"Health check failed: the package {distribution} is not installed for this Python "
                          "(see the README, Install)") from None


def _when(epoch) -> str:
    if not epoch:
        return "none"
    delta = epoch - time.time()
    return f"in {delta / 60:.0f} min" if delta > 0 else f"{-delta / 60:.0f} min ago"
