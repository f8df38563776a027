"""Stash2Plex entry point: Stash starts this file once per hook firing, per task and per UI operation.

Stash writes one JSON object to stdin and reads exactly one JSON object from stdout; log lines go to
stderr. Each mode imports only what it needs, because a hook holds up the user's Save until we exit.
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from plugin import log  # noqa: E402
from plugin.errors import PluginError, user_message  # noqa: E402
from plugin.io import InputError, PluginInput, read_input, write_output  # noqa: E402


def _dispatch(plugin_input: PluginInput) -> str | dict:
    mode = plugin_input.mode
    if plugin_input.hook is not None:
        from hooks.handler import handle_hook

        return handle_hook(plugin_input)
    if "operation" in plugin_input.args:  # the UI's runPluginOperation: the database only, standard library only
        from tasks.operations import run_operation

        return run_operation(plugin_input)
    from plugin.deps import ensure_runtime

    if mode == "drain":
        from plugin.paths import data_dir, drainer_log_path

        log.log_to_file(drainer_log_path(data_dir(plugin_input.server.plugin_dir)))  # before any heavy import
        try:
            ensure_runtime(plugin_input.server.plugin_dir)
        except PluginError as exc:
            from worker.spawn import remember_failure  # standard library only

            remember_failure(plugin_input, exc.message)
            raise
        from worker.drainer import run_detached

        return run_detached(plugin_input)
    ensure_runtime(plugin_input.server.plugin_dir)
    from tasks.runner import run_task

    return run_task(plugin_input)


def main() -> int:
    try:
        plugin_input = read_input(sys.stdin.read())
    except InputError as exc:
        log.error(f"Stash2Plex could not start: {exc}")
        write_output(error=str(exc))
        return 1
    for secret in plugin_input.server.secrets:
        log.register_secret(secret)
    try:
        output = _dispatch(plugin_input)
    except Exception as exc:  # PluginError, or the last line of defence: Stash gets a readable error
        message = user_message(exc)
        log.error(message if isinstance(exc, PluginError) else f"Stash2Plex failed: {message}")
        write_output(error=message)
        return 1
    write_output(output=output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
