"""Everything a drain needs, opened once: settings, the database, Stash, Plex and the Plex index.

Settings are read from Stash at the start of every drain (and cached in the database for the hooks,
which must not make network calls). Plex is connected lazily and its library index is rebuilt only
when a section was rescanned since the last build.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from typing import Any, Optional

from plex.errors import PlexError
from plex.matcher import MatchResult, PlexLookup, match
from plex.path_map import PathMap, infer
from plugin import log
from plugin.errors import PluginError
from plugin.paths import data_dir, db_path, drainer_log_path
from plugin.settings import Settings, load_settings
from stash.client import StashClient
from sync_queue import plex_items
from sync_queue.db import connect
from sync_queue.enqueue import EnqueueRequest, enqueue
from sync_queue.entities import done_entity_request, pending_entity_requests
from sync_queue.jobs import JobQueue
from sync_queue.meta import get_meta, set_meta
from sync_queue.txn import write_txn
from worker import retry
from worker.breaker import CircuitBreaker
from worker.throttle import AdaptiveLimit

PLUGIN_ID = "Stash2Plex"
_PATH = re.compile(r"(?:[A-Za-z]:)?[/\\][^\s,;()]+")


class DbLookup(PlexLookup):
    """The matcher's view of the stored Plex index."""

    def __init__(self, conn) -> None:
        self._conn = conn

    def by_paths(self, paths):
        return plex_items.by_paths(self._conn, paths)

    def by_basenames(self, names):
        return plex_items.by_basenames(self._conn, names)


class Runtime:
    def __init__(self, plugin_input, settings: Settings, conn, stash: StashClient) -> None:
        self.plugin_input = plugin_input
        self.settings = settings
        self.conn = conn
        self.queue = JobQueue(db_path(data_dir(plugin_input.server.plugin_dir)), conn=conn)
        self.stash = stash
        self.lookup = DbLookup(conn)
        self.limiter = AdaptiveLimit(settings.plex_parallelism)
        self.breaker = CircuitBreaker()
        self._plex: Any = None
        self._sections: Optional[list] = None
        self._path_map: Optional[PathMap] = None
        self._thread_stash = threading.local()

    # --- Stash -------------------------------------------------------------------------------------
    def thread_stash(self) -> StashClient:
        """A Stash client per pool thread: a requests.Session is not meant to be shared across threads."""
        client = getattr(self._thread_stash, "client", None)
        if client is None:
            client = self.stash.clone()
            self._thread_stash.client = client
        return client

    # --- Plex --------------------------------------------------------------------------------------
    @property
    def plex(self) -> Any:
        if self._plex is None:
            from plex.connection import connect as plex_connect
            from plex.connection import new_client_id

            missing = self.settings.missing_required()
            if missing:
                raise PluginError(" ".join(missing))
            client_id = get_meta(self.conn, "plex_client_id")
            if not client_id:
                client_id = new_client_id()
                set_meta(self.conn, "plex_client_id", client_id)
            self._plex = plex_connect(self.settings.plex_url, self.settings.plex_token,
                                      self.settings.plex_connect_timeout, self.settings.plex_read_timeout, client_id)
        return self._plex

    @property
    def sections(self) -> list:
        """The configured movie sections, with the stored index refreshed where Plex rescanned."""
        if self._sections is None:
            self.refresh_index(force=False)
        return self._sections

    def refresh_index(self, force: bool) -> None:
        """Rebuilds the stored index of each section Plex rescanned since the last build (all when forced).

        Only a rescan (scannedAt) marks the library as changed: that is what makes a scene absent from
        Plex worth trying again. Our own edits change contentChangedAt, which is ignored for that reason,
        and so is the first sight of a section: nothing was tried against an older state of it.
        """
        from plex.index import iter_section_items, list_sections

        sections, unknown = list_sections(self.plex, self.settings.plex_library)
        for title in unknown:
            log.warning(f"Plex library {title!r} (setting plex_library) does not exist or is not a movie library")
        if not sections:
            raise PluginError("No Plex movie library found; check the plex_library setting")
        for section in sections:
            key = f"section_scanned:{section.key}"
            seen = get_meta(self.conn, key)
            rescanned = seen != str(section.scanned_at)
            if rescanned or force:
                count = plex_items.replace_section(self.conn, section.key, iter_section_items(self.plex, section))
                log.info(f"Indexed Plex library {section.title!r}: {count} items")
            if rescanned:
                set_meta(self.conn, key, str(section.scanned_at))
                if seen is not None:
                    set_meta(self.conn, "plex_library_changed_at", str(time.time()))
        self._sections = sections

    def match(self, meta) -> MatchResult:
        """The scene's Plex items by the stored index (no request)."""
        roots = [root for section in self.sections for root in section.locations]
        return match(meta.files, self.lookup, self.path_map, self.settings.strict_matching, roots)

    def forget_index(self) -> None:
        """Makes the next batch rebuild the stored index (an item we matched has vanished from Plex)."""
        self.conn.execute("UPDATE meta SET value = '' WHERE key LIKE 'section_scanned:%'")  # seen, now stale
        self._sections = None

    def describe(self, text: str) -> str:
        """Text for the log: file paths hashed when the user asked for obfuscate_paths."""
        if not self.settings.obfuscate_paths:
            return text
        return _PATH.sub(lambda m: "path#" + hashlib.sha1(m.group(0).encode("utf-8")).hexdigest()[:10], text)

    @property
    def path_map(self) -> PathMap:
        """The user's map, else one inferred from both libraries (logged with its evidence), else identity."""
        if self._path_map is None:
            if self.settings.path_map:
                self._path_map = PathMap.from_pairs(self.settings.path_map)
            else:
                self._path_map = self._inferred_path_map()
        return self._path_map

    def _inferred_path_map(self) -> PathMap:
        stamp = get_meta(self.conn, "plex_library_changed_at") or ""
        cached = get_meta(self.conn, "inferred_path_map")
        if cached is not None and get_meta(self.conn, "inferred_path_map_at") == stamp:
            return PathMap.parse(cached)
        self.sections  # noqa: B018 - builds the index the inference reads
        first_page = next(iter(self.stash.scene_pages(per_page=200)), None)
        scenes = first_page.scenes if first_page else []
        stash_paths = [f["path"] for scene in scenes for f in scene.get("files") or []]
        plex_paths = [row[0] for row in self.conn.execute("SELECT path FROM plex_parts LIMIT 5000")]
        mapping, evidence = infer(stash_paths, plex_paths)
        if mapping is None:
            log.info(f"No Stash-to-Plex path mapping inferred ({evidence.describe()}); matching paths as they are")
            mapping = PathMap.parse("")
        else:
            log.info(f"Inferred path mapping {mapping} from the libraries: {evidence.describe()}. "
                     "Set path_map to confirm or correct it.")
        set_meta(self.conn, "inferred_path_map", str(mapping))
        set_meta(self.conn, "inferred_path_map_at", stamp)
        return mapping

    def breaker_wait(self) -> bool:
        """While the breaker is open, waits for the next probe; True when it probed (success or not)."""
        if not self.breaker.is_open:
            return False
        time.sleep(min(self.breaker.seconds_until_probe(), 5.0))
        if self.breaker.seconds_until_probe() > 0:
            return True
        from plex.wire import request

        try:
            request(self.plex, "GET", "/identity")
        except PlexError:
            self.breaker.probe_failed()
            return True
        log.info("Plex is reachable again; resuming")
        self.breaker.record_success()
        self.queue.expedite_retries(retry.PLEX_DOWN)
        return True

    # --- queue upkeep ------------------------------------------------------------------------------
    def expand_entity_requests(self) -> int:
        """Queues the scenes of renamed performers, tags and studios (hooks only noted the rename)."""
        queued = 0
        for request in pending_entity_requests(self.conn):
            ids = list(self.stash.scene_ids_for(request.kind, request.entity_id))
            reason = f"{request.kind}_renamed"
            for start in range(0, len(ids), 500):
                batch = [EnqueueRequest(scene_id=i, reason=reason, force=True) for i in ids[start:start + 500]]
                queued += enqueue(self.conn, batch).queued
            done_entity_request(self.conn, request)
        return queued

    def reconcile(self, scope: str) -> None:
        from reconciliation.engine import run_reconcile

        report = run_reconcile(self, scope)
        log.info(report.summary())

    def close(self) -> None:
        self.queue.close()
        self.stash.close()
        self.conn.close()


def open_runtime(plugin_input, log_file: bool = False) -> Runtime:
    """Reads the settings from Stash, caches what hooks need, and opens the database."""
    data = data_dir(plugin_input.server.plugin_dir)
    if log_file:
        log.log_to_file(drainer_log_path(data))
    conn = connect(db_path(data))
    stash = StashClient(plugin_input.server)
    try:
        settings, notes = load_settings(stash.plugin_settings(PLUGIN_ID))
    except PluginError:
        stash.close()
        conn.close()
        raise
    for note in notes:
        log.warning(note)
    cache_settings(conn, settings)
    return Runtime(plugin_input, settings, conn, stash)


def cache_settings(conn, settings: Settings) -> None:
    """The few settings hooks need, stored where a hook can read them without a network call."""
    with write_txn(conn):  # one commit for the three
        set_meta(conn, "enabled", "1" if settings.enabled else "0")
        set_meta(conn, "reconcile_interval_s", str(settings.reconcile_interval or 0))
        set_meta(conn, "reconcile_scope", settings.reconcile_scope)
