"""The Plex library as the worker sees it: its movie sections, the stored index of their items, the path map,
and matching a scene to its items.

Nothing here does I/O implicitly: `refresh()` is the one call that reads Plex (the section list, and the
listings of sections Plex rescanned since their index was built); `match()` reads only the stored index.
"""

from __future__ import annotations

import time
from typing import Callable, Optional, Sequence

from mapping.fields import SyncToggles
from mapping.matcher import MATCHED, MatchResult, match
from mapping.path_map import PathMap, infer, under
from plex.client import PlexApi
from plex.errors import PlexTransient
from plex.sections import SectionInfo
from plugin import log
from plugin.errors import PluginError
from plugin.settings import Settings
from stash.scene import SceneMetadata
from sync_queue import Store, meta

INFER_SAMPLE = 5000
# A learned summary limit is forgotten after a day, so the next long summary probes again (the proxy may have
# changed); a refused probe costs at most `plex_parallelism` requests a proxy refuses without reaching Plex.
SUMMARY_REPROBE_S = 86400.0


def stored_summary_limit(store: Store, now: Optional[float] = None) -> Optional[int]:
    """The summary limit learned from this Plex (see `PlexLibrary.learn_summary_limit`), None when none was or
    it was learned more than `SUMMARY_REPROBE_S` ago (a value stored without its time counts as old)."""
    now = time.time() if now is None else now
    if now - store.meta.get_float(meta.PLEX_SUMMARY_BYTES_AT) > SUMMARY_REPROBE_S:
        return None
    return int(store.meta.get_float(meta.PLEX_SUMMARY_BYTES)) or None


class PlexLibrary:
    """`api` is the connected Plex (`PlexApi`); `stash_paths` gives a sample of Stash file paths, asked only
    when the path map must be inferred."""

    def __init__(self, settings: Settings, store: Store, api: PlexApi,
                 stash_paths: Callable[[], list[str]]) -> None:
        self.settings = settings
        self.api = api
        self._store = store
        self._stash_paths = stash_paths
        self._sections: Optional[list[SectionInfo]] = None
        self._path_map: Optional[PathMap] = None
        self._stale = False  # `forget()` was called: refresh at the next `ensure_fresh()`
        self.summary_bytes = stored_summary_limit(store)
        self._learned = False
        # Sections whose listing this process read: only there is an item's listed collection list recent
        # enough to stand for the item's own (a user may add a collection at any time after a listing).
        self.listed_now: set[int] = set()

    @property
    def sections(self) -> list[SectionInfo]:
        """The configured movie sections as of the last `refresh()`."""
        if self._sections is None:
            raise RuntimeError("PlexLibrary.refresh() must run before the sections are read")
        return self._sections

    def refresh(self, force: bool = False) -> list[SectionInfo]:
        """Lists the sections and rebuilds the stored index of each one Plex rescanned since its last build
        (every one when forced); resolves the path map. Returns the sections.

        Only a rescan (scannedAt) marks the library as changed: that is what makes a scene absent from Plex
        worth trying again. Our own edits change contentChangedAt, which is ignored for that reason, and so is
        the first sight of a section: nothing was tried against an older state of it.
        """
        sections, unknown = self.api.sections(self.settings.plex_library)
        if unknown:  # one more listing, only when misconfigured: the names that would work
            advice = library_advice(unknown, [s.title for s in self.api.sections(())[0]])
            if not sections:
                raise PluginError(f"No Plex movie library to sync. {advice}")
            log.warning(advice)
        if not sections:
            raise PluginError("Plex has no movie library: the plugin syncs scenes into a Plex movie library")
        index = self._store.index
        for section in sections:
            seen = index.scanned_stamp(section.key)
            rescanned = seen != str(section.scanned_at)
            if rescanned or force:
                count = self._reindex(section)
                log.info(f"Indexed Plex library {section.title!r}: {count} items")
            if rescanned:
                index.set_scanned_stamp(section.key, str(section.scanned_at))
                if seen is not None:
                    self._store.meta.set(meta.PLEX_LIBRARY_CHANGED_AT, str(time.time()))
        self._sections, self._stale = sections, False
        self._path_map = self._resolve_path_map()
        return sections

    def _reindex(self, section: SectionInfo) -> int:
        """Reads the section's listing (outside any write lock) and swaps it in; a listing that changed while it
        was read is read once more before the failure is left to the caller's retry."""
        try:
            count = self._store.index.replace_section(section.key, self.api.section_items(section))
        except PlexTransient as exc:
            log.info(f"{exc.message}; reading it again")
            count = self._store.index.replace_section(section.key, self.api.section_items(section))
        self.listed_now.add(section.key)
        return count

    def toggles(self) -> SyncToggles:
        """The fields to sync, with the summary cut to what this Plex has been found to accept."""
        return SyncToggles.from_settings(self.settings, self.summary_bytes)

    def learn_summary_limit(self, refused_bytes: int) -> int:
        """Plex (or a proxy) refused an edit line that a summary of `refused_bytes` (encoded) was most of: the limit
        becomes three quarters of it (pool threads may call this; `save_learned` stores it). Returns the limit."""
        limit = refused_bytes * 3 // 4
        if self.summary_bytes is None or limit < self.summary_bytes:
            self.summary_bytes, self._learned = limit, True
        return self.summary_bytes

    def save_learned(self) -> None:
        """Stores what pool threads learned, with when, so later edits fit at once (the worker thread calls this)."""
        if self._learned:
            with self._store.transaction():
                self._store.meta.set(meta.PLEX_SUMMARY_BYTES, str(self.summary_bytes))
                self._store.meta.set(meta.PLEX_SUMMARY_BYTES_AT, repr(time.time()))
            log.info(f"Plex refused long edit URLs: summaries are now cut to {self.summary_bytes} encoded bytes")
            self._learned = False

    def ensure_fresh(self) -> None:
        """Refreshes unless this drain already did and nothing made the index stale since."""
        if self._sections is None or self._stale:
            self.refresh()

    def forget(self) -> None:
        """Every section is re-read at the next `ensure_fresh()` (an item we matched has vanished from Plex).
        The sections stay readable meanwhile: pool threads of the running batch may still look files up."""
        self._store.index.mark_stale()
        self._stale = True

    @property
    def path_map(self) -> PathMap:
        if self._path_map is None:
            raise RuntimeError("PlexLibrary.refresh() must run before the path map is read")
        return self._path_map

    def match(self, scene: SceneMetadata) -> MatchResult:
        """The scene's Plex items by the stored index (no request)."""
        roots = [root for section in self.sections for root in section.locations]
        return match(scene.files, self._store.index, self.path_map, self.settings.strict_matching, roots)

    def sections_holding(self, plex_path: str) -> list[SectionInfo]:
        """The synced sections one of whose folders holds the path (as Plex sees it)."""
        return [s for s in self.sections if any(under(plex_path, root) for root in s.locations)]

    def find_by_file(self, scene: SceneMetadata) -> tuple[MatchResult, dict[int, int]]:
        """Asks Plex (`file=`) for files it may have scanned after our index was built, only in the sections
        whose folders hold the mapped path (in all of them when none does). Returns the match and each found
        item's section. Runs in pool threads: reads only what `refresh()` computed."""
        found: dict[int, int] = {}
        for scene_file in scene.files:
            plex_path = self.path_map.to_plex(scene_file.path)
            for section in self.sections_holding(plex_path) or self.sections:
                for part in self.api.find_by_file(section.key, plex_path):
                    found[part.rating_key] = section.key
        if not found:
            return MatchResult("not_found", (), "not found by file lookup either"), {}
        return MatchResult(MATCHED, tuple(sorted(found)), "found by file lookup"), found

    def _resolve_path_map(self) -> PathMap:
        """The user's map, else one inferred from both libraries (logged with its evidence), else identity."""
        if self.settings.path_map:
            return PathMap.from_pairs(self.settings.path_map)
        store = self._store
        stamp = store.meta.get(meta.PLEX_LIBRARY_CHANGED_AT) or ""
        cached = store.meta.get(meta.INFERRED_PATH_MAP)
        if cached is not None and store.meta.get(meta.INFERRED_PATH_MAP_AT) == stamp:
            return PathMap.parse(cached)
        mapping, evidence = infer(self._stash_paths(), store.index.paths_sample(INFER_SAMPLE))
        if mapping is None:
            log.info(f"No Stash-to-Plex path mapping inferred ({evidence.describe()}); matching paths as they are")
            mapping = PathMap()
        elif not mapping:
            log.info(f"Stash and Plex see the files under the same paths ({evidence.describe()})")
        else:
            log.info(f"Inferred path mapping {mapping} from the libraries: {evidence.describe()}. "
                     "Set path_map to confirm or correct it.")
        with store.transaction():
            store.meta.set(meta.INFERRED_PATH_MAP, str(mapping))
            store.meta.set(meta.INFERRED_PATH_MAP_AT, stamp)
        return mapping


def library_advice(unknown: Sequence[str], available: Sequence[str]) -> str:
    """The plex_library names that name no movie library, with the ones that exist."""
    names = ", ".join(repr(t) for t in unknown)
    have = ", ".join(repr(t) for t in available) or "none"
    return (f"Plex library {names} (setting plex_library) does not exist or is not a movie library; Plex's movie "
            f"libraries are: {have}. Use these names, or leave the setting empty for all of them.")
