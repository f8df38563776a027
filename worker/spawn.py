"""Starting the detached drainer from a hook or a task, at most one at a time.

The child must not inherit our stdout/stderr: Stash waits for stdout to close before the user's Save returns,
and closes stderr when we exit. So its stdout is /dev/null, its stderr the drainer log, it runs in a session of
its own, and the Stash connection reaches it through a stdin pipe (never argv, where `ps` would show the session
cookie).
"""

from __future__ import annotations

import json
import os
import sys
import time

from plugin.paths import data_dir, db_path, drainer_log_path
from sync_queue import Store, meta

ENTRY_POINT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "Stash2Plex.py")
# Many hooks can fire within a second of each other (bulk edits, scans): one spawn per window covers the
# time a new drainer takes to start and take the lease; after that the lease itself says one is running.
SPAWN_WINDOW_S = 1.0


def drainer_needed(store: Store, now: float) -> bool:
    """Work waits (ready jobs, due retries, renames to expand, a reconcile request) and no live drainer holds
    the lease. Indexed reads only, no lock."""
    if store.lease.is_held(now):
        return False
    return (store.queue.work_waiting(now) or store.entities.any_pending()
            or store.requests.reconcile_waiting())


def ensure_drainer(store: Store, plugin_input, now: float | None = None, force: bool = False) -> bool:
    """Spawns a drainer when one is needed and none was spawned this window (`force`: when one is needed, even
    if the only waiting work is retries not yet due, as after an outage); True when a process was started."""
    now = time.time() if now is None else now
    needed = drainer_needed(store, now) or (force and not store.lease.is_held(now)
                                            and store.queue.next_retry_at() is not None)
    if not needed or not store.meta.claim_if_due(meta.DRAINER_SPAWNED_AT, SPAWN_WINDOW_S, now):
        return False
    spawn_drainer(plugin_input)
    return True


def remember_failure(plugin_input, message: str) -> None:
    """Stores why a detached drainer could not run, for the next hook, Queue Status and Health Check to show.
    Best effort: the failure may be the database itself (then the drainer's log has it)."""
    try:
        with Store(db_path(data_dir(plugin_input.server.plugin_dir))) as store:
            store.meta.record_failure(message, time.time())
    except Exception:  # noqa: BLE001 - the original failure is the one to report
        pass


def spawn_drainer(plugin_input) -> None:
    server = plugin_input.server
    cookie = {"Name": "session", "Value": server.session_cookie} if server.session_cookie else None
    connection = {"Scheme": server.scheme, "Host": server.host, "Port": server.port, "Dir": server.config_dir,
                  "PluginDir": server.plugin_dir, "ApiKey": server.api_key, "SessionCookie": cookie}
    payload = json.dumps({"server_connection": connection, "args": {"mode": "drain"}}).encode("utf-8")
    # Its stderr goes to its log file (a crash before logging starts, an import error, leaves a trace there).
    log_path = drainer_log_path(data_dir(server.plugin_dir))
    try:
        _posix_spawn(payload, log_path)
    except (AttributeError, NotImplementedError):  # no posix_spawn, or no setsid in it (Windows, old libc)
        _popen(payload, log_path)


def _posix_spawn(payload: bytes, log_path: str) -> None:
    """The drainer through `os.posix_spawn`: a Save that starts one does not import subprocess (3-4 ms of its
    wall). stdin is the pipe, stdout /dev/null, stderr the log, in a session of its own; every other descriptor
    of ours is non-inheritable (PEP 446; SQLite opens its files O_CLOEXEC), so the child holds no pipe of Stash's."""
    spawn = os.posix_spawn
    read_end, write_end = os.pipe()
    devnull = os.open(os.devnull, os.O_WRONLY)
    log_fd = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        spawn(sys.executable, [sys.executable, ENTRY_POINT], os.environ, setsid=True,
              file_actions=[(os.POSIX_SPAWN_DUP2, read_end, 0), (os.POSIX_SPAWN_DUP2, devnull, 1),
                            (os.POSIX_SPAWN_DUP2, log_fd, 2)])
    except BaseException:
        os.close(write_end)
        raise
    finally:
        for fd in (read_end, devnull, log_fd):
            os.close(fd)
    try:
        view = memoryview(payload)
        while view:
            view = view[os.write(write_end, view):]
    finally:
        os.close(write_end)


def _popen(payload: bytes, log_path: str) -> None:
    import subprocess  # only where posix_spawn cannot start the drainer

    log_file = open(log_path, "ab")  # noqa: SIM115 - the child owns it
    kwargs: dict = {"stdin": subprocess.PIPE, "stdout": subprocess.DEVNULL, "stderr": log_file, "close_fds": True}
    if sys.platform == "win32":
        kwargs["creationflags"] = subprocess.DETACHED_PROCESS | subprocess.CREATE_NEW_PROCESS_GROUP
    else:
        kwargs["start_new_session"] = True
    child = subprocess.Popen([sys.executable, ENTRY_POINT], **kwargs)
    log_file.close()
    stdin = child.stdin
    assert stdin is not None  # stdin=PIPE
    stdin.write(payload)
    stdin.close()
