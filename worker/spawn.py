"""Starting the detached drainer from a hook or a task, at most one at a time.

The child must not inherit our stdout/stderr: Stash waits for stdout to close before the user's Save
returns, and closes stderr when we exit. So it gets /dev/null, its own session, and the Stash
connection through a stdin pipe (never argv, where `ps` would show the session cookie).
"""

from __future__ import annotations

import json
import os
import sys
import time

from sync_queue.lease import is_held
from sync_queue.meta import claim_if_due
from sync_queue.waiting import work_waiting

ENTRY_POINT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "Stash2Plex.py")
# Many hooks can fire within a second of each other (bulk edits, scans): one spawn per window is
# enough, because the drainer keeps draining until the queue is empty.
SPAWN_WINDOW_S = 2.0


def ensure_drainer(conn, plugin_input, now: float | None = None) -> bool:
    """Spawns a drainer when there is work and none holds the lease; True when a process was started."""
    now = time.time() if now is None else now
    if is_held(conn, now) or not work_waiting(conn, now):
        return False
    if not claim_if_due(conn, "drainer_spawned_at", SPAWN_WINDOW_S, now):
        return False
    spawn_drainer(plugin_input)
    return True


def spawn_drainer(plugin_input) -> None:
    import subprocess  # only when spawning: its import costs a hook more than the rest of its work

    server = plugin_input.server
    cookie = {"Name": "session", "Value": server.session_cookie} if server.session_cookie else None
    connection = {"Scheme": server.scheme, "Host": server.host, "Port": server.port, "Dir": server.config_dir,
                  "PluginDir": server.plugin_dir, "ApiKey": server.api_key, "SessionCookie": cookie}
    payload = json.dumps({"server_connection": connection, "args": {"mode": "drain"}})
    kwargs: dict = {"stdin": subprocess.PIPE, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL,
                    "close_fds": True}
    if os.name == "nt":
        kwargs["creationflags"] = subprocess.DETACHED_PROCESS | subprocess.CREATE_NEW_PROCESS_GROUP
    else:
        kwargs["start_new_session"] = True
    child = subprocess.Popen([sys.executable, ENTRY_POINT], **kwargs)
    child.stdin.write(payload.encode("utf-8"))
    child.stdin.close()
