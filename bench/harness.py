"""What every benchmark needs from the outside world: simulators as real processes, the installed plugin, tasks.

The simulators run as subprocesses from their own CLI (not in-process) so the benchmark process's own CPU and
memory never mix with theirs, and the plugin runs exactly as Stash runs it: spawned by the Stash simulator.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Dict, List, Optional

import requests

ROOT = Path(__file__).resolve().parents[1]
PLUGIN_ID = "Stash2Plex"
PLEX_TOKEN = "bench-plex-token"
PATH_MAP = "/data/stash=/media/plex"
_TASK = "mutation BenchRunTask($p: ID!, $t: String) { runPluginTask(plugin_id: $p, task_name: $t) }"
_CONFIGURE = "mutation BenchConfigure($p: ID!, $i: Map!) { configurePlugin(plugin_id: $p, input: $i) }"
_FIND_JOB = "query BenchFindJob($id: ID!) { findJob(input: {id: $id}) { id status progress error } }"
FINAL_STATES = ("FINISHED", "CANCELLED", "FAILED")
_BULK_UPDATE = ("mutation BenchBulkUpdate($i: BulkSceneUpdateInput!) "
                "{ bulkSceneUpdate(input: $i) { id } }")


class BenchError(RuntimeError):
    """A simulator or the plugin did not do what the benchmark needs; the message says what and where."""


class SimProcess:
    """A simulator started from its CLI; `url` is the one it printed once listening."""

    def __init__(self, module: str, args: List[str], url_key: str, log_path: Path,
                 env: Optional[Dict[str, str]] = None) -> None:
        self.log_path = log_path
        self._log: IO[bytes] = open(log_path, "wb")  # noqa: SIM115 - lives as long as the process
        self.proc = subprocess.Popen(
            [sys.executable, "-m", module, *args], cwd=str(ROOT), stdout=subprocess.PIPE, stderr=self._log,
            env={**os.environ, **(env or {})},
        )
        self._module, self._url_key = module, url_key
        self.url = ""
        self.session = requests.Session()

    def ready(self) -> SimProcess:
        """Waits for the URL line; separate from starting so two simulators build their libraries in parallel."""
        line = self.proc.stdout.readline().decode("utf-8", "replace").strip()
        if not line.startswith(self._url_key + "="):
            self.stop()
            raise BenchError(f"{self._module} did not start (first line {line!r}); see {self.log_path}")
        self.url = line.split("=", 1)[1]
        return self

    def stats(self) -> dict:
        return self.session.get(f"{self.url}/_sim/stats", timeout=30).json()

    def reset_stats(self) -> None:
        self.session.post(f"{self.url}/_sim/reset-stats", timeout=30).raise_for_status()

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it does not leave: a benchmark must never leave a server behind."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self.session.close()
        self._log.close()


def start_plex(scenes: int, workdir: Path, latency_ms: int = 0, seed: int = 1, extra_args: tuple = ()) -> SimProcess:
    args = ["--scenes", str(scenes), "--seed", str(seed), "--token", PLEX_TOKEN, "--latency-ms", str(latency_ms),
            *extra_args]
    return SimProcess("simulators.plex", args, "PLEX_URL", workdir / "plex-sim.log")


def start_stash(scenes: int, workdir: Path, plugins_dir: Path, data_dir: Path, seed: int = 1,
                long_details: float = 0.0) -> SimProcess:
    """The plugin's data dir goes through the simulator's environment, which every plugin process inherits.
    `long_details`: the share of scenes with details of 1,500-4,000 characters (`dataset.lengthen_details`)."""
    args = ["--scenes", str(scenes), "--seed", str(seed), "--plugins-dir", str(plugins_dir),
            "--python", sys.executable, "--long-details", str(long_details)]
    return SimProcess("simulators.stash", args, "STASH_URL", workdir / "stash-sim.log",
                      env={"STASH2PLEX_DATA_DIR": str(data_dir)})


def install_plugin(plugins_dir: Path) -> Path:
    """Installs the plugin as a user would; returns the installed entry point (its path marks our processes)."""
    sys.path.insert(0, str(ROOT))
    from package_plugin import install

    dest = install(plugins_dir / PLUGIN_ID)
    return dest / "Stash2Plex.py"


class Stash:
    """The GraphQL calls a benchmark makes as a user would: settings, tasks, bulk edits, plus simulator logs."""

    def __init__(self, sim: SimProcess) -> None:
        self.sim = sim

    def graphql(self, query: str, variables: dict) -> dict:
        response = self.sim.session.post(f"{self.sim.url}/graphql", json={"query": query, "variables": variables},
                                         timeout=600)
        payload = response.json()
        if response.status_code != 200 or payload.get("errors"):
            raise BenchError(f"Stash GraphQL failed: {payload.get('errors')}")
        return payload["data"]

    def configure(self, settings: dict) -> None:
        self.graphql(_CONFIGURE, {"p": PLUGIN_ID, "i": settings})

    def bulk_update(self, scene_ids: List[int], fields: dict) -> None:
        """One bulkSceneUpdate: Stash fires one Scene.Update.Post hook process per scene before answering."""
        self.graphql(_BULK_UPDATE, {"i": {"ids": [str(i) for i in scene_ids], **fields}})

    def start_task(self, task_name: str) -> str:
        """Queues the task like the UI does; returns Stash's job id."""
        return self.graphql(_TASK, {"p": PLUGIN_ID, "t": task_name})["runPluginTask"]

    def job(self, job_id: str) -> dict:
        return self.graphql(_FIND_JOB, {"id": job_id})["findJob"] or {}

    def run_task(self, task_name: str, timeout: float = 900.0) -> dict:
        """Runs the task and waits for its job through findJob; returns the run record."""
        job_id = self.start_task(task_name)
        deadline = time.monotonic() + timeout
        while self.job(job_id).get("status") not in FINAL_STATES:
            if time.monotonic() > deadline:
                raise BenchError(f"task {task_name!r} still running after {timeout:.0f} s")
            time.sleep(0.1)
        return self.task_record(job_id, task_name)

    def task_record(self, job_id: str, task_name: str) -> dict:
        """The simulator's record of the plugin process the job ran; raises with its last log lines if it failed."""
        record = next((r for r in reversed(self.runs()) if r.get("job_id") == job_id), None)
        if record is None:
            raise BenchError(f"task {task_name!r} finished without running the plugin")
        if record.get("error") or record.get("exit_code") != 0:
            raise BenchError(f"task {task_name!r} failed: {record.get('error')}; log: {_tail(record)}")
        return record

    def runs(self) -> List[dict]:
        return self.sim.session.get(f"{self.sim.url}/_sim/runs", timeout=60).json()


def _tail(record: dict, lines: int = 8) -> List[str]:
    return [f"{level}: {msg}" for level, msg in record.get("logs", [])[-lines:]]


def plugin_settings(plex: SimProcess, **overrides: object) -> dict:
    """What a user sets for the benchmark: the simulated Plex, the known path map, no auto-reconcile.

    Auto-reconcile is off (interval 0) so a measured sync is the sync alone; the reconcile has its own figure.
    """
    settings: dict = {"plex_url": plex.url, "plex_token": PLEX_TOKEN, "path_map": PATH_MAP, "reconcile_interval": 0}
    settings.update(overrides)
    return settings


def plex_counts(plex: SimProcess) -> Dict[str, int]:
    return dict(plex.stats()["counts"])


def stash_counts(stash: SimProcess) -> Dict[str, int]:
    """The plugin's requests to Stash; the benchmark's own operations (named Bench*) are left out."""
    counts = {op: n for op, n in stash.stats().items() if not op.startswith("Bench")}
    counts["total"] = sum(counts.values())
    return counts
