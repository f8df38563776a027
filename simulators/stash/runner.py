"""Runs a raw-interface plugin process exactly as Stash's pkg/plugin/raw.go does, and records what happened.

Stdin is the Go-marshalled PluginInput (Go field names, compact JSON, HTML-escaped, map keys sorted, struct fields
in declaration order). Stdout is read to EOF and then the process is waited for, with no timeout, so anything that
keeps stdout open keeps the caller waiting, as in Stash. Stderr is parsed line by line with the \\x01<level>\\x02
protocol; a line over 64 KiB makes Stash stop reading stderr, and so does the simulator.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from simulators.stash.manifest import Operation, Plugin

MAX_STDERR_LINE = 64 * 1024
_LEVELS = {"t": "trace", "d": "debug", "i": "info", "w": "warning", "e": "error", "p": "progress"}


class GoStruct(dict):
    """A dict marshalled like a Go struct: keys keep their declared order instead of being sorted."""


def go_json(value: Any) -> str:
    """json.Marshal output: maps sorted by key, structs in field order, no spaces, <>& escaped, UTF-8 kept."""

    def order(v: Any) -> Any:
        if isinstance(v, GoStruct):
            return {k: order(x) for k, x in v.items()}
        if isinstance(v, dict):
            return {k: order(v[k]) for k in sorted(v)}
        if isinstance(v, list):
            return [order(x) for x in v]
        return v

    text = json.dumps(order(value), ensure_ascii=False, separators=(",", ":"))
    for raw, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"),
                     ("\u2029", "\\u2029")):
        text = text.replace(raw, esc)
    return text


@dataclass
class RunRecord:
    """One plugin process: what Stash sent, what came back, and how it was logged."""

    kind: str  # "hook", "task" or "operation"
    plugin_id: str
    name: str  # hook type (e.g. Scene.Update.Post) or task name
    stdin: str
    command: list[str]
    stdout: str = ""
    output: Any = None
    error: str | None = None
    logs: list[tuple[str, str]] = field(default_factory=list)
    progress: list[float] = field(default_factory=list)
    exit_code: int | None = None
    wall_time: float = 0.0
    started_at: float = 0.0
    job_id: str | None = None

    @property
    def input(self) -> dict:
        return json.loads(self.stdin)

    def to_json(self) -> dict:
        return {
            "kind": self.kind, "plugin_id": self.plugin_id, "name": self.name, "stdin": self.stdin,
            "command": self.command, "stdout": self.stdout, "output": self.output, "error": self.error,
            "logs": [list(x) for x in self.logs], "progress": self.progress, "exit_code": self.exit_code,
            "wall_time": self.wall_time, "started_at": self.started_at, "job_id": self.job_id,
        }


def build_command(plugin: Plugin, op: Operation | None, python: str,
                  sim_env: dict[str, str] | None) -> tuple[list[str], dict[str, str]]:
    """The argv and environment Stash uses (getExecCommand + python.IsPythonCommand/AppendPythonPath): the
    simulator's own environment plus `sim_env`, as a child of Stash inherits Stash's."""
    cmd = list(plugin.exec) + (list(op.exec_args) if op else [])
    env = dict(os.environ)
    env.update(sim_env or {})
    if not cmd:
        raise ValueError(f"plugin {plugin.id} has no exec")
    if cmd[0] in ("python", "python3"):
        cmd[0] = python
        existing = env.get("PYTHONPATH", "")
        parent = str(plugin.dir.parent)
        env["PYTHONPATH"] = f"{existing}{os.pathsep}{parent}" if existing else parent
    elif shutil.which(cmd[0]) is None:
        cmd[0] = str(plugin.dir / cmd[0])
    plugin_dir = str(plugin.dir)
    cmd = [cmd[0]] + [arg.replace("{pluginDir}", plugin_dir) for arg in cmd[1:]]
    return cmd, env


def _exit_error(code: int) -> str:
    if code < 0:
        try:
            return f"signal: {signal.Signals(-code).name[3:].lower()}"
        except ValueError:
            return f"signal: {-code}"
    return f"exit status {code}"


def parse_stdout(stdout: str) -> tuple[Any, str | None]:
    """{"output","error"} when stdout decodes into it; otherwise the whole text is the output (not an error)."""
    try:
        decoded = json.loads(stdout) if stdout.strip() else None
    except ValueError:
        return stdout, None
    if decoded is None and not stdout.strip():
        return None, None
    if not isinstance(decoded, dict) or not isinstance(decoded.get("error"), (str, type(None))):
        return stdout, None
    return decoded.get("output"), decoded.get("error")


def parse_stderr_line(line: str, err_log: str) -> tuple[str, str] | None:
    if len(line) >= 4 and line[0] == "\x01" and line[2] == "\x02":
        level = _LEVELS.get(line[1])
        if level is not None:
            return level, line[3:].strip()
    if err_log == "none":
        return None
    return (err_log if err_log in _LEVELS.values() else "error"), line.rstrip("\r\n")


def run_plugin(record: RunRecord, plugin: Plugin, env: dict[str, str], cwd: str,
               on_log: Callable[[str, str], None], on_progress: Callable[[float], None] | None) -> RunRecord:
    """Starts the process, feeds stdin, reads stdout to EOF and stderr by line, waits; fills `record`."""
    start = time.monotonic()
    record.started_at = time.time()
    proc = subprocess.Popen(
        record.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd, env=env,
    )

    def feed() -> None:
        with contextlib.suppress(OSError):
            proc.stdin.write(record.stdin.encode("utf-8"))
        with contextlib.suppress(OSError):
            proc.stdin.close()

    def read_stderr() -> None:
        while True:
            raw = proc.stderr.readline(MAX_STDERR_LINE + 1)
            if not raw:
                break
            if len(raw) > MAX_STDERR_LINE and not raw.endswith(b"\n"):
                on_log("error", f"[Plugin / {plugin.name}] error reading plugin stderr: token too long")
                break
            parsed = parse_stderr_line(raw.decode("utf-8", "replace").rstrip("\n"), plugin.err_log)
            if parsed is None:
                continue
            level, msg = parsed
            if level == "progress":
                if on_progress is not None:
                    try:
                        value = float(msg)
                    except ValueError:
                        continue
                    record.progress.append(value)
                    on_progress(value)
                continue
            record.logs.append((level, msg))
            on_log(level, f"[Plugin / {plugin.name}] {msg}")
        proc.stderr.close()

    writer = threading.Thread(target=feed, daemon=True)
    reader = threading.Thread(target=read_stderr, daemon=True)
    writer.start()
    reader.start()
    stdout = proc.stdout.read()
    proc.stdout.close()
    code = proc.wait()
    reader.join()
    writer.join()
    record.stdout = stdout.decode("utf-8", "replace")
    record.output, record.error = parse_stdout(record.stdout)
    record.exit_code = code
    if code != 0 and record.error is None:
        record.error = _exit_error(code)
    record.wall_time = time.monotonic() - start
    return record
