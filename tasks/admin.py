"""Tasks that inspect or repair rather than sync: queue status, dead letters, health check, dry run."""

from __future__ import annotations

import time
from collections import Counter

from plex.errors import PlexError
from plugin import log
from plugin.errors import PluginError
from stash.scene import to_metadata
from sync_queue import dead_letters
from sync_queue.lease import holder
from sync_queue.meta import get_meta
from sync_queue.state import get_states, status_counts
from tasks.sync import drain_foreground
from worker.batch import plan_scene
from worker.runtime import Runtime

EXAMPLES = 5


def queue_status(rt: Runtime) -> str:
    counts = status_counts(rt.conn)
    lease = holder(rt.conn)
    next_retry = rt.queue.next_retry_at()
    last = get_meta(rt.conn, "last_auto_reconcile")
    lines = [
        f"queued {rt.queue.pending_count()}, in progress {rt.queue.claimed_count()}",
        "scenes: " + (", ".join(f"{status} {n}" for status, n in sorted(counts.items())) or "none yet"),
        f"dead letters {dead_letters.count(rt.conn)}",
        f"next retry {_when(next_retry)}",
        f"drainer {'running (pid ' + str(lease.pid) + ')' if lease and lease.expires_at > time.time() else 'idle'}",
        f"last auto-reconcile {_when(float(last)) if last else 'never'}",
    ]
    return "Queue status: " + "; ".join(lines)


def dead_letters_list(rt: Runtime) -> str:
    letters = dead_letters.list_dead_letters(rt.conn, limit=50)
    for letter in letters:
        log.info(f"dead letter: scene {letter.scene_id} [{letter.error_class}] after {letter.attempts} attempts, "
                 f"{_when(letter.failed_at)}: {letter.message}")
    total = dead_letters.count(rt.conn)
    return f"{total} dead letters" + (f" (listed the newest {len(letters)})" if total > len(letters) else "")


def dead_letters_retry(rt: Runtime) -> str:
    retried = dead_letters.retry(rt.conn)
    return f"{retried} dead letters queued again; {drain_foreground(rt, retried)}"


def dead_letters_clear(rt: Runtime) -> str:
    return f"{dead_letters.clear(rt.conn)} dead letters cleared"


def health_check(rt: Runtime) -> str:
    """Plex reachable, token valid, libraries found, and how a sample of scenes maps onto Plex."""
    try:
        server = rt.plex
        sections = rt.sections
    except PlexError as exc:
        raise PluginError(f"Health check failed: {exc.message}") from None
    log.info(f"Plex {getattr(server, 'friendlyName', '?')} (version {getattr(server, 'version', '?')}) is reachable "
             "and accepts the token")
    items = rt.conn.execute("SELECT COUNT(*) FROM plex_items").fetchone()[0]
    log.info("Libraries: " + ", ".join(f"{s.title!r} ({', '.join(s.locations)})" for s in sections)
             + f"; {items} items indexed")
    log.info(f"Path mapping: {rt.path_map or 'none (paths compared as they are)'}")
    page = next(iter(rt.stash.scene_pages(per_page=20)), None)
    outcomes: Counter = Counter()
    for scene in page.scenes if page else []:
        meta = to_metadata(scene)
        found = rt.match(meta)
        outcomes[found.status] += 1
        if outcomes[found.status] <= 2 and meta.files:
            log.info(f"sample: scene {meta.scene_id} {rt.describe(meta.files[0].path)} -> {found.status} "
                     f"{list(found.rating_keys) or ''} {rt.describe(found.detail)}")
    sample = ", ".join(f"{n} {status.replace('_', ' ')}" for status, n in sorted(outcomes.items()))
    return f"Health check passed: Plex reachable, token valid, {len(sections)} libraries, sample of scenes: {sample}"


def dry_run(rt: Runtime) -> str:
    """What a Sync All would change, field by field, computed from the stored index: nothing is written."""
    fields: Counter = Counter()
    outcomes: Counter = Counter()
    examples: list[str] = []
    rt.sections  # noqa: B018 - the index the plan reads
    for page in rt.stash.scene_pages(per_page=500):
        states = get_states(rt.conn, [int(s["id"]) for s in page.scenes])
        for scene in page.scenes:
            meta = to_metadata(scene)
            plan = plan_scene(rt, None, meta, states.get(meta.scene_id))
            if plan.found.status != "matched":
                outcomes[plan.found.status] += 1
                continue
            changed = sorted(plan.changed)
            outcomes["would change" if changed else "unchanged"] += 1
            fields.update(changed)
            if changed and len(examples) < EXAMPLES:
                examples.append(f"scene {meta.scene_id} -> Plex {list(plan.found.rating_keys)}: {', '.join(changed)}")
        log.progress(min(1.0, page.page * 500 / max(1, page.count)))
    for example in examples:
        log.info(f"dry run: {example}")
    per_field = ", ".join(f"{name} {n}" for name, n in fields.most_common()) or "none"
    summary = ", ".join(f"{n} {status.replace('_', ' ')}" for status, n in sorted(outcomes.items()))
    return f"Dry run (nothing written): {summary}; fields that would change: {per_field}"


def _when(epoch) -> str:
    if not epoch:
        return "none"
    delta = epoch - time.time()
    return f"in {delta / 60:.0f} min" if delta > 0 else f"{-delta / 60:.0f} min ago"
