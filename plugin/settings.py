"""Plugin settings: defaults in code (Stash stores nothing until a user edits a field) and forgiving validation.

Every invalid value falls back to its default and produces one sentence for the log, so a typo in one field never
stops the plugin. The Plex token is registered as a secret the moment it is read.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from typing import Any, Callable, Dict, List, Optional, Tuple
from urllib.parse import urlparse

from plugin import log
from plugin.setting_keys import ATTRIBUTES, KEYS, OTHER_PLUGIN_ONLY, carry_over

NEVER = None
MIN_RECONCILE_MINUTES = 1
_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0", ""}


@dataclass(frozen=True)
class Settings:
    """Validated settings; reconcile_interval is seconds (the setting is in minutes), or None for never."""

    plex_url: Optional[str] = None
    plex_token: Optional[str] = field(default=None, repr=False)
    plex_library: Tuple[str, ...] = ()
    enabled: bool = True
    max_retries: int = 5
    strict_matching: bool = True
    tag_not_in_plex: bool = False
    scan_new_files: bool = True
    preserve_plex_edits: bool = False
    skip_not_found: bool = False
    sync_title: bool = True
    sync_summary: bool = True
    sync_studio: bool = True
    sync_date: bool = True
    sync_rating: bool = True
    sync_performers: bool = True
    sync_tags: bool = True
    sync_collection: bool = True
    sync_poster: bool = True
    sync_director: bool = True
    sync_parent_studio: bool = False
    sync_groups: bool = True
    tags_as: str = "genres"
    sync_actor_photos: bool = False
    content_rating: str = ""
    sync_watch_state: bool = False
    only_organized: bool = False
    skip_tags: Tuple[str, ...] = ()
    require_stash_id: bool = False
    obfuscate_paths: bool = False
    log_each_scene: bool = False
    reconcile_interval: Optional[int] = 3600
    reconcile_scope: str = "recent"
    path_map: Tuple[Tuple[str, str], ...] = ()
    plex_parallelism: int = 8
    plex_connect_timeout: float = 5.0
    plex_read_timeout: float = 30.0
    plex_verify_tls: bool = True
    plex_ca_file: Optional[str] = None
    batch_size: int = 100

    def missing_required(self) -> List[str]:
        """Sentences naming the settings without which nothing can be pushed to Plex."""
        missing = []
        if not self.plex_url:
            missing.append("Setting plex_url is not set; Plex sync is off until it is.")
        if not self.plex_token:
            missing.append("Setting plex_token is not set; Plex sync is off until it is.")
        return missing


class _Invalid(ValueError):
    """A value that cannot be used; the message completes "Setting <key> <value> ..."."""


def unset_defaults(raw: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    """The defaults, under their stored keys and as the manifest's types store them, of every setting `raw` (the
    stored map, already carried over) lacks.

    Stash has no defaults for plugin settings and shows an unset BOOLEAN as off, so the switches that default to
    on look off until they are saved (stashapp/stash#6899): the plugin writes these once. Settings without a
    default (plex_url, plex_token, plex_library, path_map) are left unset.
    """
    raw = raw if isinstance(raw, dict) else {}
    defaults: Dict[str, Any] = {}
    standard = Settings()
    for f in fields(Settings):
        value = getattr(standard, f.name)
        if f.name == "reconcile_interval":
            value = (value or 0) // 60  # the setting is in minutes
        key = KEYS.get(f.name, f.name)  # a setting missing from the table stays under its name (a test flags it)
        if key not in raw and isinstance(value, (bool, int, float, str)):
            defaults[key] = int(value) if isinstance(value, float) else value
    return defaults


def load_settings(raw: Optional[Dict[str, Any]]) -> Tuple[Settings, List[str]]:
    """Merges Stash's stored plugin settings over the defaults; returns the settings and one note per problem.

    Values under old keys are read as `carry_over` moves them (saying so, and saving the move, is the caller's:
    `worker.context.open_context`); notes name a setting by its attribute name."""
    notes: List[str] = []
    if raw is None:
        return Settings(), notes
    if not isinstance(raw, dict):
        return Settings(), ["Plugin settings are not a key/value map; using defaults for every setting."]
    raw = carry_over(raw)[0]
    defaults = Settings()
    values: Dict[str, Any] = {}
    for key in sorted(raw):
        value = raw[key]
        name = ATTRIBUTES.get(key, key)
        parser = _PARSERS.get(name)
        if parser is None:
            if key not in OTHER_PLUGIN_ONLY:
                notes.append(f"Unknown setting {key!r} is ignored.")
            continue
        if value is None:
            continue
        try:
            values[name] = parser(value, notes)
        except _Invalid as exc:
            secret = name == "plex_token" or (name == "plex_url" and "@" in str(value))  # a password in the URL
            shown = "(hidden)" if secret else _show(value)
            notes.append(f"Setting {name} {shown} {exc}; using {_describe(getattr(defaults, name))}.")
    settings = Settings(**values)
    if not settings.plex_verify_tls:
        notes.append("Setting plex_verify_tls is off: Plex's certificate is not checked, so anyone on the network "
                     "path can read the token (unsafe; prefer plex_ca_file).")
    log.register_secret(settings.plex_token)
    return settings, notes


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "...'"


def _describe(default: Any) -> str:
    if default is None or default == ():
        return "none"
    if isinstance(default, bool):
        return "true" if default else "false"
    return f"the default {default}"


def _bool(value: Any, _notes: List[str]) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise _Invalid("is not true or false")


def _number(value: Any) -> float:
    if isinstance(value, bool):
        raise _Invalid("is not a number")
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            pass
    raise _Invalid("is not a number")


def _int_in(low: int, high: int) -> Callable[[Any, List[str]], int]:
    def parse(value: Any, _notes: List[str]) -> int:
        number = _number(value)
        if number != int(number):
            raise _Invalid("is not a whole number")
        if not low <= number <= high:
            raise _Invalid(f"is outside {low}..{high}")
        return int(number)

    return parse


def _seconds_in(low: float, high: float) -> Callable[[Any, List[str]], float]:
    def parse(value: Any, _notes: List[str]) -> float:
        number = _number(value)
        if not low <= number <= high:
            raise _Invalid(f"is outside {low:g}..{high:g} seconds")
        return number

    return parse


def _plex_url(value: Any, _notes: List[str]) -> Optional[str]:
    if not isinstance(value, str):
        raise _Invalid("is not an http(s) URL")
    text = value.strip()
    if not text:
        return None
    if "://" not in text and " " not in text:  # plex.lan:32400 or 192.168.1.10:32400
        raise _Invalid(f"has no http:// in front: write it as 'http://{text}' (https:// if Plex requires secure "
                       "connections)")
    parsed = urlparse(text)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise _Invalid("is not an http(s) URL")
    if parsed.username is not None or parsed.password is not None:
        raise _Invalid("holds a user name or password, which Plex does not use (it takes the token) and which would "
                       "be written wherever the address is; remove the user:password@ part")
    return text.rstrip("/")


def _ca_file(value: Any, _notes: List[str]) -> Optional[str]:
    if not isinstance(value, str):
        raise _Invalid("is not a file path")
    path = value.strip()
    if path and not os.path.isfile(path):
        raise _Invalid("is not a file this plugin can see (a path inside Stash's container, if it runs in one)")
    return path or None


def _token(value: Any, _notes: List[str]) -> Optional[str]:
    if not isinstance(value, str):
        raise _Invalid("is not text")
    text = value.strip()
    if any(c.isspace() for c in text):
        raise _Invalid("contains spaces")
    return text or None


def _comma_list(what: str) -> Callable[[Any, List[str]], Tuple[str, ...]]:
    def parse(value: Any, _notes: List[str]) -> Tuple[str, ...]:
        if not isinstance(value, str):
            raise _Invalid(f"is not a comma-separated list of {what}")
        return tuple(name.strip() for name in value.split(",") if name.strip())

    return parse


def _text(value: Any, _notes: List[str]) -> str:
    if not isinstance(value, str):
        raise _Invalid("is not text")
    return value.strip()


def _interval(value: Any, _notes: List[str]) -> Optional[int]:
    minutes = _number(value)
    if minutes < 0:
        raise _Invalid("is negative")
    if minutes == 0:
        return NEVER
    if minutes < MIN_RECONCILE_MINUTES:
        raise _Invalid(f"is below the {MIN_RECONCILE_MINUTES} minute minimum")
    return int(minutes * 60)


def _scope(value: Any, _notes: List[str]) -> str:
    text = value.strip().lower() if isinstance(value, str) else None
    if text in ("recent", "all"):
        return text
    if text in ("24h", "7days"):  # the other Stash2Plex plugin's scopes: changed since the last reconcile
        return "recent"
    raise _Invalid("is not 'recent' or 'all'")


def _tags_as(value: Any, _notes: List[str]) -> str:
    text = value.strip().lower() if isinstance(value, str) else None
    if text in ("genres", "labels", "both"):
        return text
    raise _Invalid("is not 'genres', 'labels' or 'both'")


def _path_map(value: Any, notes: List[str]) -> Tuple[Tuple[str, str], ...]:
    """A bad pair is reported and skipped, the good ones are kept (grammar: `mapping.path_map.parse_pairs`)."""
    if not isinstance(value, str):
        raise _Invalid("is not text of the form stash_prefix=plex_prefix;...")
    pairs, bad = parse_pairs(value)
    notes += [f"Setting path_map entry {e!r} is not of the form stash_prefix=plex_prefix; skipped." for e in bad]
    return tuple(pairs)


def parse_pairs(text: str) -> tuple[list[tuple[str, str]], list[str]]:
    """The grammar of the path_map setting, `stash_prefix=plex_prefix;...`: the valid pairs, and the bad entries
    (each to be reported by the caller)."""
    pairs, bad = [], []
    for entry in (text or "").split(";"):
        stash, sep, plex = entry.strip().partition("=")
        if not entry.strip():
            continue
        if not sep or not stash.strip() or not plex.strip():
            bad.append(entry.strip())
        else:
            pairs.append((stash.strip(), plex.strip()))
    return pairs, bad


_PARSERS: Dict[str, Callable[[Any, List[str]], Any]] = {
    "plex_url": _plex_url,
    "plex_token": _token,
    "plex_library": _comma_list("library names"),
    "skip_tags": _comma_list("tag names"),
    "content_rating": _text,
    "tags_as": _tags_as,
    "max_retries": _int_in(0, 20),
    "reconcile_interval": _interval,
    "reconcile_scope": _scope,
    "path_map": _path_map,
    "plex_parallelism": _int_in(1, 16),
    "plex_connect_timeout": _seconds_in(1, 300),
    "plex_read_timeout": _seconds_in(1, 600),
    "plex_ca_file": _ca_file,
    "batch_size": _int_in(1, 500),
}
_PARSERS.update({f.name: _bool for f in fields(Settings) if isinstance(f.default, bool)})
