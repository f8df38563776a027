"""Where each setting is stored, and the one-time carry-over of keys saved by earlier versions.

Stash lists a plugin's settings sorted by key (`pkg/plugin/config.go` `getPluginSettings`: `sort.Strings(keys)`),
whatever order the manifest gives, so the key itself carries the place: a digit for the group (1 connection,
2 library and paths, 3 what to sync, 4 scope, 5 watch state, 6 timing, 7 advanced), a letter for the place in the
group, then the name. The `Settings` attribute names stay what they were (they were this plugin's 0.1 keys).
"""

from __future__ import annotations

from typing import Any, Dict, List, Tuple

# attribute -> stored key, in setup order (a test pins that sorting the keys gives this order)
KEYS: Dict[str, str] = {
    "plex_url": "1a_plex_url",
    "plex_token": "1b_plex_token",
    "plex_ca_file": "1c_plex_ca_file",
    "plex_verify_tls": "1d_plex_verify_tls",
    "plex_library": "2a_plex_library",
    "path_map": "2b_path_map",
    "strict_matching": "2c_strict_matching",
    "tag_not_in_plex": "2d_tag_not_in_plex",
    "scan_new_files": "2e_scan_new_files",
    "enabled": "3a_enabled",
    "sync_title": "3b_sync_title",
    "sync_summary": "3c_sync_summary",
    "sync_date": "3d_sync_date",
    "sync_studio": "3e_sync_studio",
    "sync_collection": "3f_sync_collection",
    "sync_parent_studio": "3g_sync_parent_studio",
    "sync_groups": "3h_sync_groups",
    "sync_performers": "3i_sync_performers",
    "sync_actor_photos": "3j_sync_actor_photos",
    "sync_director": "3k_sync_director",
    "sync_tags": "3l_sync_tags",
    "tags_as": "3m_tags_as",
    "sync_rating": "3n_sync_rating",
    "sync_poster": "3o_sync_poster",
    "content_rating": "3p_content_rating",
    "preserve_plex_edits": "3q_preserve_plex_edits",
    "only_organized": "4a_only_organized",
    "require_stash_id": "4b_require_stash_id",
    "skip_tags": "4c_skip_tags",
    "sync_watch_state": "5a_sync_watch_state",
    "reconcile_interval": "6a_reconcile_interval",
    "reconcile_scope": "6b_reconcile_scope",
    "max_retries": "6c_max_retries",
    "skip_not_found": "6d_skip_not_found",
    "plex_parallelism": "7a_plex_parallelism",
    "batch_size": "7b_batch_size",
    "plex_connect_timeout": "7c_plex_connect_timeout",
    "plex_read_timeout": "7d_plex_read_timeout",
    "obfuscate_paths": "7e_obfuscate_paths",
    "log_each_scene": "7f_log_each_scene",
}
ATTRIBUTES: Dict[str, str] = {key: name for name, key in KEYS.items()}

# The other Stash2Plex plugin has the same id, so its saved settings are this plugin's after an install over it.
# These it named differently (its timeouts were the same seconds; its intervals were words, here minutes).
_RENAMED = {"connect_timeout": "plex_connect_timeout", "read_timeout": "plex_read_timeout",
            "debug_logging": "log_each_scene", "trigger_plex_scan": "scan_new_files"}
_INTERVAL_WORDS = {"never": 0, "hourly": 60, "daily": 1440, "weekly": 10080}
# These it had and this plugin does not use (they stay stored, unshown), and these it read differently.
OTHER_PLUGIN_ONLY = ("poll_interval", "max_tags", "sync_master", "sync_tagline", "sync_background",
                     "reconcile_missing", "plex_unmatched_path_map")
_READ_DIFFERENTLY = {
    "preserve_plex_edits": "keeps every field someone changed in Plex (there: fills only empty Plex fields)",
    "reconcile_scope": "24h and 7days mean recent here (scenes changed since the last reconcile)",
}


def carry_over(raw: Any) -> Tuple[Any, List[str]]:
    """The stored map with every value saved under an old key (this plugin's 0.1, or the other Stash2Plex's) moved
    to its key here, and the sentences that say so (empty when nothing moved). A value already saved under the new
    key wins; the old key is dropped, so the move happens once when the caller saves the map back
    (`configurePlugin` replaces the whole map). Anything that is not a map is returned as it is."""
    if not isinstance(raw, dict):
        return raw, []
    moved: Dict[str, Any] = {}
    out = dict(raw)
    for old, value in raw.items():
        name = _RENAMED.get(old, old)
        if old in ATTRIBUTES or name not in KEYS:
            continue
        del out[old]
        if KEYS[name] not in raw and value is not None:
            out[KEYS[name]] = _INTERVAL_WORDS.get(str(value).strip().lower(), value) \
                if name == "reconcile_interval" else value
            moved[old] = KEYS[name]
    said = []
    if moved:
        said.append(f"Moved {len(moved)} saved settings to this version's keys (Stash lists them in setup order): "
                    + ", ".join(f"{old} -> {new}" for old, new in sorted(moved.items())) + ".")
    left = sorted(set(raw) & set(OTHER_PLUGIN_ONLY))
    if left:
        said.append("Settings kept from the other Stash2Plex plugin: "
                    + "; ".join([f"{key} is not used" for key in left]
                                + [f"{key} {meaning}" for key, meaning in sorted(_READ_DIFFERENTLY.items())
                                   if key in raw]) + ".")
    return out, said
