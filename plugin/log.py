"""Logging in Stash's stderr protocol, with every secret redacted before it leaves the process.

Each line is written in the protocol itself (SOH, a level letter, STX, the message), so neither `logging` nor
stashapi.log (which registers levels in the global `logging` module) is needed: a hook that logs a line stays
light. The detached drainer has no reader on stderr (Stash closed the pipe), so it switches to a rotating file
with log_to_file(); redaction is the same in both modes.
"""

from __future__ import annotations

import sys
from _thread import allocate_lock  # threading itself costs a hook ~1 ms and we need nothing but a lock

# Stash stops reading stderr at a 64 KiB line; a UTF-8 char can take 4 bytes, so cap characters well below that.
MAX_LINE_CHARS = 8000
FILE_MAX_BYTES = 5 * 1024 * 1024
MIN_SECRET_LEN = 6
MASK = "***"

_TOKEN_REGEXES = (
    # X-Plex-Token=abc, X-Plex-Token: abc, 'X-Plex-Token': 'abc', ApiKey: abc, apikey=abc, api_key=abc
    r"""(?i)(x-plex-token|api[-_]?key)(["']?\s*[=:]\s*["']?)([^\s&"',;}\]]+)""",
    # Cookie: session=abc (only the cookie form: "session: started" is ordinary prose)
    r"""(?i)(\bsession)(=)([^\s&"',;}\]]+)""",
)
_token_patterns: tuple = ()  # compiled on the first redaction: a hook that logs nothing never compiles them
# Characters urllib.parse.quote(value, safe="") leaves as they are (its import costs a hook ~4 ms).
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~")

_lock = allocate_lock()
_secrets: tuple = ()
_logger = None  # the file logger of a detached drainer (log_to_file); else lines go to stderr directly
# Stash's levels, as logging's numbers (logging itself is imported only for the drainer's file).
DEBUG, INFO, WARNING, ERROR = 10, 20, 30, 40
_LEVEL_CHARS = {DEBUG: "d", INFO: "i", WARNING: "w", ERROR: "e"}
_to_file = False
_hide_paths = False
_scene_lines = False


def register_secret(value: str | None) -> None:
    """Adds a value that must never be printed; short values are ignored (they would mask ordinary words)."""
    global _secrets
    if not value or len(value) < MIN_SECRET_LEN:
        return
    with _lock:
        found = set(_secrets)
        found.update({value, _percent_encoded(value)})
        # Longest first, so a secret that contains another is masked whole.
        _secrets = tuple(sorted(found, key=len, reverse=True))


def redact(text: object) -> str:
    """Masks registered secrets and token-shaped patterns in any message or object."""
    out = text if isinstance(text, str) else str(text)
    for secret in _secrets:
        if secret in out:
            out = out.replace(secret, MASK)
    for pattern in _token_patterns or _compile_patterns():
        out = pattern.sub(lambda m: m.group(1) + m.group(2) + MASK, out)
    return out


def _percent_encoded(value: str) -> str:
    """The secret as it appears inside a URL: what urllib.parse.quote(value, safe="") returns."""
    return "".join(c if c in _UNRESERVED else "".join(f"%{b:02X}" for b in c.encode("utf-8")) for c in value)


def _compile_patterns() -> tuple:
    global _token_patterns
    import re

    _token_patterns = tuple(re.compile(regex) for regex in _TOKEN_REGEXES)
    return _token_patterns


def hide_paths(enabled: bool) -> None:
    """The obfuscate_paths setting: from now on every file path in a log line is replaced by a short hash."""
    global _hide_paths
    _hide_paths = bool(enabled)


def _hash_paths(text: str) -> str:
    import hashlib
    import re

    return re.sub(r"(?:[A-Za-z]:)?[/\\][^\s,;()]+",
                  lambda m: "path#" + hashlib.sha1(m.group(0).encode("utf-8")).hexdigest()[:10], text)


def scene_lines(enabled: bool) -> None:
    """Whether per-scene lines (`scene`) reach Stash's log at their own level (setting log_each_scene); off, they
    are debug lines, so the log holds one summary per batch and per task unless Stash itself shows debug."""
    global _scene_lines
    _scene_lines = enabled


def scene(level: int, msg: object) -> None:
    """A line about one scene: at `level` when asked for, else at debug."""
    _emit(level if _scene_lines else DEBUG, msg)


def info(msg: object) -> None:
    _emit(INFO, msg)


def warning(msg: object) -> None:
    _emit(WARNING, msg)


def error(msg: object) -> None:
    _emit(ERROR, msg)


def progress(fraction: float) -> None:
    """Task progress bar (0..1). Dropped in file mode: nobody reads a progress line from a file."""
    if _to_file:
        return
    try:
        value = float(fraction)
    except (TypeError, ValueError):
        return
    _write_stderr("p", f"{min(max(value, 0.0), 1.0):.4f}")


def log_to_file(path) -> None:
    """Switches this process to a size-capped file (one backup): for the detached drainer, whose stderr is dead."""
    import logging
    from logging.handlers import RotatingFileHandler
    from pathlib import Path

    global _logger, _to_file
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    handler = RotatingFileHandler(str(path), maxBytes=FILE_MAX_BYTES, backupCount=1, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s [%(process)d] %(message)s"))
    logger = logging.getLogger("Stash2Plex.file")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    for old in list(logger.handlers):
        logger.removeHandler(old)
        old.close()
    logger.addHandler(handler)
    with _lock:
        _logger = logger
        _to_file = True


def _emit(level: int, msg: object) -> None:
    text = redact(msg)
    for line in (_hash_paths(text) if _hide_paths else text).split("\n"):
        line = line.rstrip("\r")[:MAX_LINE_CHARS]
        if _logger is not None:
            _logger.log(level, line)
        else:
            _write_stderr(_LEVEL_CHARS[level], line)


def _write_stderr(level_char: str, line: str) -> None:
    """One line of Stash's plugin log protocol (pkg/plugin/common/log: SOH, level letter, STX, message)."""
    with _lock:
        sys.stderr.write(f"\x01{level_char}\x02{line}\n")
        sys.stderr.flush()
