"""What a drain or a task holds, opened once: settings, the store, Stash, Plex (connected on first need).

Settings are read from Stash at every start (and the few hooks need are cached in the store, since hooks make
no network call). Each consumer states what it needs by the `Context` fields it reads; the boundaries are
Protocols (`StashSource` here, `plex.client.PlexApi`), so tests run the same code on in-memory servers.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Optional

from mapping.fields import SyncToggles
from mapping.library import PlexLibrary, stored_summary_limit
from plex.client import PlexApi
from plugin import log
from plugin.errors import PluginError
from plugin.paths import data_dir, db_path, drainer_log_path
from plugin.setting_keys import carry_over
from plugin.settings import Settings, load_settings, unset_defaults
from stash.client import StashSource
from sync_queue import Store, meta
from worker.breaker import CircuitBreaker
from worker.folder_scans import FolderScans
from worker.throttle import AdaptiveLimit

INFER_SCENES = 200  # Stash scenes whose paths are sampled to infer the path map


class Context:
    """One drain's or task's resources. Used from one thread at a time, except `thread_stash` and the
    library's request methods, which pool threads use."""

    def __init__(self, settings: Settings, store: Store, stash: StashSource,
                 connect_plex: Callable[[], PlexApi], plugin_input=None) -> None:
        self.settings = settings
        self.plugin_input = plugin_input  # how to start a detached drainer (None in tests)
        self.store = store
        self.stash = stash
        self.limiter = AdaptiveLimit(settings.plex_parallelism)
        self.breaker = CircuitBreaker()
        self._connect_plex = connect_plex
        self._library: Optional[PlexLibrary] = None
        self._thread_stash = threading.local()
        self._clones: list[StashSource] = []
        self._pool: Optional[ThreadPoolExecutor] = None
        self.scans = FolderScans()  # folders of new files to have Plex scan (scan_new_files)

    def library(self, reread: bool = False) -> PlexLibrary:
        """Plex, connected and with the stored index refreshed where Plex rescanned, or with `reread` every
        listing read again now (a reconcile judges drift, and a watch pass plays, on what Plex shows now): one
        read either way, never a refresh followed at once by a forced one. Raises PlexError."""
        if self._library is None:
            self._library = PlexLibrary(self.settings, self.store, self._connect_plex(), self._stash_paths)
        if reread:
            self._library.refresh(force=True)
        else:
            self._library.ensure_fresh()
        return self._library

    def toggles(self) -> SyncToggles:
        """The fields to sync, with what is known of this Plex's limits (without connecting to it)."""
        return SyncToggles.from_settings(self.settings, stored_summary_limit(self.store))

    def ping_plex(self) -> None:
        """One cheap request that succeeds only when Plex answers (connects first if never connected)."""
        if self._library is None:
            self.library()
        else:
            self._library.api.ping()

    def thread_stash(self) -> StashSource:
        """A Stash client per pool thread, each with its own session cookie (Stash re-issues it per answer)."""
        client = getattr(self._thread_stash, "client", None)
        if client is None:
            client = self._thread_stash.client = self.stash.clone()
            self._clones.append(client)
        return client

    def pool(self) -> ThreadPoolExecutor:
        """The threads that push to Plex, kept for the whole drain or task: each keeps its Stash client
        (`thread_stash`), so no batch starts threads and sessions anew."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=self.settings.plex_parallelism,
                                            thread_name_prefix="stash2plex-push")
        return self._pool

    def _stash_paths(self) -> list[str]:
        page = next(iter(self.stash.scene_pages(per_page=INFER_SCENES)), None)
        return [f["path"] for scene in (page.scenes if page else []) for f in scene.get("files") or []]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
        for client in self._clones:
            client.close()
        if self._library is not None:
            self._library.api.close()
        self.stash.close()
        self.store.close()


def open_context(plugin_input, log_file: bool = False) -> Context:
    """Opens the store, reads the settings from Stash and caches what hooks need of them."""
    from stash.client import StashClient

    data = data_dir(plugin_input.server.plugin_dir)
    if log_file:
        log.log_to_file(drainer_log_path(data))
    store = Store(db_path(data))
    stash = StashClient(plugin_input.server)
    try:
        raw = stash.plugin_settings()
        stored, moves = carry_over(raw)
        settings, notes = load_settings(stored)
        unset = unset_defaults(stored)
        if unset or stored != raw:
            stash.save_plugin_settings({**unset, **(stored if isinstance(stored, dict) else {})})
            for sentence in moves:
                log.info(sentence)
        if unset:
            log.info(f"Saved the defaults of {len(unset)} settings, so Stash shows them as they are: "
                     + ", ".join(sorted(unset)))
    except PluginError:
        stash.close()
        store.close()
        raise
    for note in notes:
        log.warning(note)
    log.hide_paths(settings.obfuscate_paths)
    log.scene_lines(settings.log_each_scene)
    store.meta.cache_settings(settings.enabled, settings.reconcile_interval, settings.reconcile_scope)
    return Context(settings, store, stash, lambda: _connect(settings, store), plugin_input)


def _connect(settings: Settings, store: Store) -> PlexApi:
    from plex.client import connect, new_client_id

    url, token = settings.plex_url, settings.plex_token
    if not url or not token:
        raise PluginError(" ".join(settings.missing_required()))
    client_id = store.meta.get(meta.PLEX_CLIENT_ID)
    if not client_id:
        client_id = new_client_id()
        store.meta.set(meta.PLEX_CLIENT_ID, client_id)
    client = connect(url, token, settings.plex_connect_timeout, settings.plex_read_timeout, client_id,
                     settings.plex_verify_tls, settings.plex_ca_file)
    remember_plex_web(store, client.machine_identifier, url)
    return client


def remember_plex_web(store: Store, machine_id: str | None, plex_url: str) -> None:
    """Stores where "Open in Plex" links point (the UI's operations make no network call): the server's id and
    its address stripped of anything that could carry a credential (user info, query, fragment)."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(plex_url.strip())
    host = parts.hostname or ""
    netloc = (f"[{host}]" if ":" in host else host) + (f":{parts.port}" if parts.port else "")
    address = urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))
    with store.transaction():
        store.meta.set(meta.PLEX_MACHINE_ID, machine_id)
        store.meta.set(meta.PLEX_WEB_URL, address)
