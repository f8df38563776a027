"""Small key/value metadata in table `meta`; every key the plugin uses is named here, once.

The drainer caches the few settings hooks need (hooks make no network call, so cannot ask Stash): `enabled`,
the reconcile interval and scope. Times are epoch seconds as text.
"""

from __future__ import annotations

import sqlite3

from sync_queue.txn import write_txn

ENABLED = "enabled"  # "1"/"0": settings cache for hooks
RECONCILE_INTERVAL_S = "reconcile_interval_s"  # settings cache for hooks ("0": never)
RECONCILE_SCOPE = "reconcile_scope"  # settings cache for hooks
LAST_AUTO_RECONCILE = "last_auto_reconcile"  # when an invocation last claimed an auto-reconcile
LAST_RECONCILE_RUN = "last_reconcile_run"  # when a reconcile last started (the "recent" window's start)
GROUP_HOOKS_SEEN = "group_hooks_seen"  # "1" once Stash fired a Group.* hook: its Movie.* twins are then dropped
PERFORMER_TALLY = "performer_tally"  # "<count> <newest id>" of Stash's performers at the last reconcile's end
PLEX_LIBRARY_CHANGED_AT = "plex_library_changed_at"  # when a rescan of a known Plex section was last seen
FOLDER_SCAN = "folder_scan:"  # + "<section>:<folder>" (as Plex sees it): when Plex was last asked to scan it
SECTION_SCANNED = "section_scanned:"  # + a section id: the scannedAt its stored index was built from
PLEX_CLIENT_ID = "plex_client_id"  # X-Plex-Client-Identifier, one per installation
INFERRED_PATH_MAP = "inferred_path_map"
INFERRED_PATH_MAP_AT = "inferred_path_map_at"  # the PLEX_LIBRARY_CHANGED_AT it was inferred at
PLEX_SUMMARY_BYTES = "plex_summary_bytes"  # longest encoded summary the Plex server (or its proxy) accepted
PLEX_SUMMARY_BYTES_AT = "plex_summary_bytes_at"  # when it was learned: it is probed again a day later
DRAINER_FAILURE = "drainer_failure"  # "<epoch> <message>" of the last drain that stopped on a failure
DRAINER_FAILURE_SHOWN = "drainer_failure_shown"  # the DRAINER_FAILURE value a hook last showed in Stash's log
DRAINER_SPAWNED_AT = "drainer_spawned_at"  # one spawn per window, however many hooks fire
LAST_QUEUE_PRUNE = "last_queue_prune"
WATCH_LAST_MOVE = "watch_last_move"  # the summary of the last watch-state pass (`Meta.stamp`)
LAST_BULK_SYNC = "last_bulk_sync"  # the summary of the last Sync All / Sync Recent (`Meta.stamp`)
LAST_RECONCILE = "last_reconcile"  # the summary of the last reconcile, by a task or a drainer (`Meta.stamp`)
# Where the scene page's "Open in Plex" links point, stored when a drain or task connects (the UI's operations
# make no network call): the server's machineIdentifier, and its address with no credentials, query or fragment.
PLEX_MACHINE_ID = "plex_machine_id"
PLEX_WEB_URL = "plex_web_url"


_UPSERT = "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value"


class Meta:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def get(self, key: str, default: str | None = None) -> str | None:
        row = self._conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row and row[0] is not None else default

    def get_float(self, key: str, default: float = 0.0) -> float:
        """A stored number; an unreadable value counts as `default`."""
        try:
            return float(self.get(key) or default)
        except ValueError:
            return default

    def set(self, key: str, value: str | None) -> None:
        with write_txn(self._conn):
            self._conn.execute(_UPSERT, (key, value))

    def is_due(self, key: str, interval_s: float, now: float) -> bool:
        """Whether `claim_if_due` could succeed now: one read, no lock (callers skip a write transaction)."""
        value = self.get(key)
        try:
            last = float(value) if value else None
        except ValueError:
            last = None
        return last is None or last > now or now - last >= interval_s

    def claim_if_due(self, key: str, interval_s: float, now: float) -> bool:
        """True for exactly one caller per interval, however many processes ask at once.

        A plain read first: when it already shows the interval running (the common case for every hook), the
        answer is False without taking the write lock, which the drainer may be holding. Otherwise the read and
        the write share one IMMEDIATE transaction, so the second caller sees the first caller's timestamp. An
        unreadable or future value (clock moved back) counts as due so a bad value cannot block the work forever.
        """
        if not self.is_due(key, interval_s, now):
            return False
        with write_txn(self._conn):
            if not self.is_due(key, interval_s, now):
                return False
            self._conn.execute(_UPSERT, (key, repr(float(now))))
            return True

    def cache_settings(self, enabled: bool, reconcile_interval_s: float | None, reconcile_scope: str) -> None:
        """What hooks need of the settings, in one commit."""
        with write_txn(self._conn):
            self._conn.executemany(_UPSERT, [(ENABLED, "1" if enabled else "0"),
                                             (RECONCILE_INTERVAL_S, str(reconcile_interval_s or 0)),
                                             (RECONCILE_SCOPE, reconcile_scope)])

    def stamp(self, key: str, text: str | None, now: float) -> None:
        """Stores `text` with when it was said ("<epoch> <text>"); None clears the key."""
        self.set(key, f"{now!r} {text}" if text else "")

    def stamped(self, key: str) -> tuple[float, str] | None:
        """(when, text) of a `stamp`ed key, None when it holds nothing."""
        value = self.get(key)
        if not value:
            return None
        when, _, text = value.partition(" ")
        return float(when), text

    def failure(self) -> tuple[float, str] | None:
        """The last drainer failure (when, message), None after a drain that ended well."""
        return self.stamped(DRAINER_FAILURE)

    def record_failure(self, message: str | None, now: float) -> None:
        """Remembers how the last drain ended: its failure, or nothing (a drain that ended well clears it)."""
        self.stamp(DRAINER_FAILURE, message, now)

    def failure_to_show(self) -> str | None:
        """A failure no hook has shown yet (each is shown once), marked as shown."""
        value = self.get(DRAINER_FAILURE)
        if not value or value == self.get(DRAINER_FAILURE_SHOWN):
            return None
        self.set(DRAINER_FAILURE_SHOWN, value)
        return value.partition(" ")[2]

    def cached_enabled(self) -> bool:
        """Before the first drain cached the settings, a hook assumes enabled."""
        return self.get(ENABLED) != "0"
