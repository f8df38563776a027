"""New files reach Plex (setting scan_new_files): a scene Plex lacks whose file lies under one of the library's
folders gets that folder scanned, and the scene looked up by file once the scan has had time to run.

Plex finds new files only when it scans; a Stash scan creates scenes before Plex's own scheduled scan, so the
plugin asks for the folder alone (`PlexApi.scan_folder`), never the library. Folders are coalesced over a batch
and asked at most once per interval, remembered in the store across drains: every few minutes for a file Stash
has just scanned (the job's `file_lookup`), once a day otherwise (what a Sync All or reconcile found), so a file
Plex cannot read is not rescanned forever. The look-up after the scan asks Plex for the file first and queues
only the scenes Plex now has: one that is still missing keeps its own retry schedule and budget.
"""

from __future__ import annotations

import time
from typing import Optional

from mapping.library import PlexLibrary
from mapping.matcher import MATCHED
from plex.errors import PlexError
from plugin import log
from plugin.errors import PluginError
from stash.client import StashSource
from stash.scene import SceneMetadata, to_metadata
from sync_queue import Store, meta

SOON_S = 300.0  # a folder of a file Stash has just scanned: at most once per 5 minutes
DAILY_S = 86400.0  # any other folder (a Sync All's or reconcile's finds): at most once per day
SETTLE_S = 15.0  # the scenes are looked up by file this long after the scan was asked for


class FolderScans:
    """One drain's wanted folder scans (the worker thread notes, the drain loop flushes after each batch) and the
    scenes waiting for theirs."""

    def __init__(self) -> None:
        self._wanted: dict[tuple[int, str], tuple[float, set[int]]] = {}
        self._lookups: list[tuple[float, set[int]]] = []

    def note(self, library: PlexLibrary, scene: SceneMetadata, just_scanned: bool) -> None:
        """The folders (as Plex sees them) of a scene Plex lacks, when a library folder holds them;
        `just_scanned`: Stash has just scanned the file (a Create hook's job)."""
        interval = SOON_S if just_scanned else DAILY_S
        for scene_file in scene.files:
            plex_path = library.path_map.to_plex(scene_file.path)
            holding = library.sections_holding(plex_path)
            if not holding:
                continue  # outside every library folder: Plex would not scan it
            section = holding[0].key
            folder = plex_path.rsplit("/", 1)[0]
            shortest, ids = self._wanted.get((section, folder), (interval, set()))
            self._wanted[(section, folder)] = (min(shortest, interval), ids | {scene.scene_id})

    def flush(self, store: Store, library: PlexLibrary, now: Optional[float] = None) -> int:
        """Asks Plex for each noted folder not asked within its interval; returns how many were asked. A failed
        request is logged and left to the interval (the scene's own retries go on)."""
        now = time.time() if now is None else now
        asked = 0
        for (section, folder), (interval, ids) in sorted(self._wanted.items()):
            if not store.meta.claim_if_due(f"{meta.FOLDER_SCAN}{section}:{folder}", interval, now):
                continue
            try:
                library.api.scan_folder(section, folder)
            except PlexError as exc:
                log.warning(f"Plex was not asked to scan {folder}: {exc.message}")
                continue
            asked += 1
            self._lookups.append((now + SETTLE_S, ids))
        self._wanted.clear()
        if asked:
            log.info(f"Asked Plex to scan {asked} folder{'s' * (asked > 1)} holding new files it did not have")
        return asked

    def due(self, now: Optional[float] = None) -> list[int]:
        """The scenes whose folder scan has had time to run (each once)."""
        now = time.time() if now is None else now
        ready = [ids for when, ids in self._lookups if when <= now]
        self._lookups = [(when, ids) for when, ids in self._lookups if when > now]
        return sorted(set().union(*ready)) if ready else []

    def arrived(self, stash: StashSource, library: PlexLibrary, scene_ids: list[int]) -> list[int]:
        """Those of the scenes that Plex now holds (one `file=` look-up per file, in the folders' sections)."""
        found = []
        try:
            scenes = stash.scenes_by_ids(scene_ids)
        except PluginError as exc:  # Stash unreachable: the scenes keep their own retries
            log.warning(f"Scenes not looked up after their folder scan: {exc.message}")
            return []
        for scene in map(to_metadata, scenes):
            try:
                if library.find_by_file(scene)[0].status == MATCHED:
                    found.append(scene.scene_id)
            except PlexError as exc:
                log.warning(f"Scene {scene.scene_id} not looked up after its folder scan: {exc.message}")
        return found

    @property
    def folders(self) -> bool:
        """Folders were noted since the last flush."""
        return bool(self._wanted)

    @property
    def waiting(self) -> bool:
        """Scenes still wait for a scan: the drain stays until they are looked up."""
        return bool(self._lookups or self._wanted)
