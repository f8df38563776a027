"""The plugin host: loaded manifests, hook dispatch and plugin tasks, with every run recorded.

Hooks run synchronously in the calling (request) thread, one matching hook entry after another, and concurrent
mutations run concurrent processes, as Stash does (no lock). Tasks go through the single-worker job queue.
"""

from __future__ import annotations

import sys
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

from simulators.stash.jobs import JobQueue
from simulators.stash.manifest import Operation, Plugin, load_plugins
from simulators.stash.runner import GoStruct, RunRecord, build_command, go_json, run_plugin


class PluginError(ValueError):
    """runPluginTask for a plugin or task that does not exist, or an operation's error (a GraphQL resolver
    error)."""


class PluginHost:
    def __init__(self, plugins_dir: Path | None, python: str | None, env: dict[str, str] | None,
                 config_dir: Path, cwd: Path, issue_session: Callable[[], str | None], jobs: JobQueue) -> None:
        self.python = python or sys.executable
        self.env = dict(env or {})
        self.config_dir = config_dir
        self.cwd = cwd
        self.port = 0
        self.scheme = "http"  # what Stash puts in server_connection.Scheme: https when it serves TLS
        self._issue_session = issue_session
        self.jobs = jobs
        self.log: list[tuple[str, str]] = []
        self.runs: list[RunRecord] = []
        self._lock = threading.Lock()
        self.plugins: dict[str, Plugin] = {}
        self.plugins_dir = plugins_dir
        self.reload()

    def reload(self) -> None:
        self.plugins, errors = load_plugins(self.plugins_dir)
        for line in errors:
            self._log("error", line)

    def _log(self, level: str, msg: str) -> None:
        with self._lock:
            self.log.append((level, msg))

    def _session_cookie(self) -> GoStruct | None:
        """A Go http.Cookie for a fresh session, or null when Stash has no credentials configured."""
        value = self._issue_session()
        if value is None:
            return None
        expires = (datetime.now(timezone.utc) + timedelta(hours=1)).astimezone().isoformat()
        return GoStruct(Name="session", Value=value, Quoted=False, Path="/", Domain="", Expires=expires,
                        RawExpires="", MaxAge=3600, Secure=False, HttpOnly=False, SameSite=2, Partitioned=False,
                        Raw="", Unparsed=None)

    def _stdin(self, plugin: Plugin, args: dict) -> str:
        connection = GoStruct(Scheme=self.scheme, Host="0.0.0.0", Port=self.port, SessionCookie=self._session_cookie(),
                              Dir=str(self.config_dir), PluginDir=str(plugin.dir))
        return go_json(GoStruct(server_connection=connection, args=args))

    def _execute(self, kind: str, plugin: Plugin, op: Operation | None, name: str, args: dict,
                 on_progress: Callable[[float], None] | None, job_id: str | None = None) -> RunRecord:
        command, env = build_command(plugin, op, self.python, self.env)
        record = RunRecord(kind=kind, plugin_id=plugin.id, name=name, stdin=self._stdin(plugin, args),
                           command=command, job_id=job_id)
        with self._lock:
            self.runs.append(record)
        try:
            run_plugin(record, plugin, env, str(self.cwd), self._log, on_progress)
        except OSError as exc:
            record.error = str(exc)
        if record.error is not None and kind != "operation":  # an operation's error goes to its caller only
            where = f"{name} [{plugin.name}]" if kind == "hook" else f"Plugin {plugin.name}"
            self._log("error", f"{where}: returned error: {record.error}")
        return record

    def run_hooks(self, hook_type: str, entity_id: int, input_value: Any, input_fields: list[str] | None
                  ) -> list[RunRecord]:
        """executePostHooks: every enabled plugin's matching hook entries, one after another, waited for."""
        context = GoStruct()
        if entity_id:
            context["id"] = entity_id
        context["type"] = hook_type
        context["input"] = input_value
        if input_fields:
            context["inputFields"] = list(input_fields)
        records = []
        for plugin in list(self.plugins.values()):
            for hook in plugin.hooks:
                if hook_type in hook.triggered_by:
                    args = {**hook.default_args, "hookContext": context}
                    records.append(self._execute("hook", plugin, hook, hook_type, args, None))
        return records

    def start_task(self, plugin_id: str, task_name: str | None, description: str | None,
                   args_map: dict | None) -> str:
        plugin = self.plugins.get(plugin_id)
        if plugin is None:
            raise PluginError(f"plugin with id {plugin_id} not found")
        op = None
        if task_name:
            op = next((t for t in plugin.tasks if t.name == task_name), None)
            if op is None:
                raise PluginError(f"task {task_name} not found in plugin {plugin_id}")
        args = dict(args_map or {})
        for key, value in (op.default_args if op else {}).items():
            args.setdefault(key, value)
        label = description or task_name or plugin_id
        name = task_name or plugin_id

        def work(job_id: str, progress: Callable[[float], None]) -> None:
            self._execute("task", plugin, op, name, args, progress, job_id)

        return self.jobs.add(f"Running plugin task: {label}", work)

    def run_operation(self, plugin_id: str, args: dict | None) -> Any:
        """runPluginOperation (Stash v0.25+, pkg/plugin/plugins.go Cache.RunPlugin): runs the plugin at once, outside
        the job queue, with exactly the given args (no task, so no defaultArgs), waits for it, and returns its
        output; the plugin's `error` (or "exit status N") is the mutation's error. The served version's real
        schema refuses the mutation on older versions before it gets here."""
        plugin = self.plugins.get(plugin_id)
        if plugin is None:
            raise PluginError(f"plugin with id {plugin_id} not found")
        record = self._execute("operation", plugin, None, plugin_id, dict(args or {}), None)
        if record.error is not None:
            raise PluginError(record.error)
        return record.output
