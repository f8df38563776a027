"""StashSimulator: the whole simulated Stash server, for in-process use by tests, the demo and benchmarks."""

from __future__ import annotations

import json
import tempfile
import threading
from pathlib import Path
from typing import Any

import requests
import urllib3

from simulators.shared import LATEST_RELEASE
from simulators.stash.api import StashApi
from simulators.stash.auth import Auth
from simulators.stash.http import CONTROL_HEADER, StashHTTPServer, Stats
from simulators.stash.jobs import JobQueue, rfc3339_now
from simulators.stash.plugins import PluginHost
from simulators.stash.runner import RunRecord
from simulators.stash.store import StashStore
from simulators.stash.tls import self_signed_context

_SCENE_UPDATE = "mutation SimSceneUpdate($input: SceneUpdateInput!) { sceneUpdate(input: $input) { id updated_at } }"
_TASK = ("mutation SimRunTask($p: ID!, $t: String, $a: Map) "
         "{ runPluginTask(plugin_id: $p, task_name: $t, args_map: $a) }")
_CONFIGURE = """mutation SimConfigure($p: ID!, $i: Map!) { configurePlugin(plugin_id: $p, input: $i) }"""


class SimulatorError(RuntimeError):
    """A control call through the simulator's own GraphQL endpoint failed."""


class StashSimulator:
    """Simulated Stash on 127.0.0.1 with real GraphQL, covers, auth, hooks and plugin tasks.

    `api_key` switches authentication on (like a Stash with credentials); `username`/`password` enable the login
    form too. Plugins are loaded from `plugins_dir`; `python` replaces `python`/`python3` in their exec line and
    `env` is added to the environment they inherit.
    """

    def __init__(self, scenes: int = 200, seed: int = 1, plugins_dir: str | Path | None = None,
                 api_key: str | None = None, env: dict[str, str] | None = None, python: str | None = None,
                 username: str | None = None, password: str | None = None, port: int = 0,
                 config_dir: str | Path | None = None, version: str = LATEST_RELEASE, tls: bool = False,
                 max_session_age: float = 3600.0, long_details: float = 0.0) -> None:
        self.store = StashStore(seed=seed, scenes=scenes, long_details=long_details)
        self.auth = Auth(api_key=api_key, username=username, password=password, max_session_age=max_session_age)
        self._config_tmp = None
        if config_dir is None:
            self._config_tmp = tempfile.TemporaryDirectory(prefix="stash-sim-config-")
            config_dir = self._config_tmp.name
        self.jobs = JobQueue(rfc3339_now)
        self.host = PluginHost(Path(plugins_dir) if plugins_dir else None, python, env, Path(config_dir),
                               Path.cwd(), self.auth.new_session, self.jobs)
        self.api = StashApi(self.store, self.host, self.jobs, lambda: self.auth.api_key, version)
        self.stats = Stats()
        self._requested_port = port
        self._server: StashHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._session = requests.Session()
        self._session.headers[CONTROL_HEADER] = "1"
        # TLS as Stash serves it with a user's certificate: one that cannot name the bind address plugins are
        # sent to (Stash passes Scheme "https" and its bind host, pkg/plugin/plugins.go:255-257).
        self._tls = self_signed_context("stash.example") if tls else None
        if tls:
            urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)  # our own control calls

    # -- lifecycle ------------------------------------------------------------------------------------------
    def start(self) -> StashSimulator:
        self._server = StashHTTPServer(("127.0.0.1", self._requested_port), self.api, self.auth, self.host,
                                       self.stats, self._tls)
        self.host.scheme = self._server.scheme
        self.host.port = self.port
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), name="stash-sim-http",
                                        daemon=True)
        self._thread.start()
        if self.auth.api_key:
            self._session.headers["ApiKey"] = self.auth.api_key
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        self.jobs.stop()
        self._session.close()
        if self._config_tmp is not None:
            self._config_tmp.cleanup()
            self._config_tmp = None

    def __enter__(self) -> StashSimulator:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("simulator not started")
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"{'https' if self._tls else 'http'}://127.0.0.1:{self.port}"

    # -- observation ----------------------------------------------------------------------------------------
    @property
    def runs(self) -> list[RunRecord]:
        return list(self.host.runs)

    @property
    def log(self) -> list[tuple[str, str]]:
        """Server log lines (level, message): plugin load errors, plugin stderr, returned errors."""
        return list(self.host.log)

    @property
    def request_counts(self) -> dict[str, int]:
        return self.stats.snapshot()

    def session_cookie(self) -> str:
        """A valid `session` cookie value, as a logged-in browser (or Stash for a plugin) would hold."""
        value = self.auth.new_session()
        if value is None:
            raise RuntimeError("authentication is off: there are no sessions")
        return value

    # -- control --------------------------------------------------------------------------------------------
    def graphql(self, query: str, variables: dict | None = None) -> dict:
        """Sends a document to the simulator over HTTP (with its API key) and returns `data`."""
        # Password-only auth: each control call logs in afresh (a session cookie expires).
        cookies = {"session": self.auth.new_session()} if self.auth.required and not self.auth.api_key else None
        response = self._session.post(f"{self.url}/graphql", json={"query": query, "variables": variables or {}},
                                      verify=False, cookies=cookies)
        payload = response.json()
        if response.status_code != 200 or payload.get("errors"):
            raise SimulatorError(json.dumps(payload.get("errors")))
        return payload["data"]

    def update_scene(self, scene_id: Any, **fields: Any) -> list[RunRecord]:
        """A real `sceneUpdate` over HTTP (hooks run before it returns); returns the hook runs it caused."""
        before = len(self.host.runs)
        self.graphql(_SCENE_UPDATE, {"input": {"id": str(scene_id), **fields}})
        return self.host.runs[before:]

    def create_scene(self, **fields: Any) -> tuple[dict, list[RunRecord]]:
        """A scan finding a new file: the scene exists without a cover, then Scene.Create.Post fires (input null)."""
        scene = self.store.create_scene(**fields)
        return scene, self.host.run_hooks("Scene.Create.Post", int(scene["id"]), None, None)

    def scan_update(self, scene_id: Any) -> list[RunRecord]:
        """A scan that changed a scene's file: updated_at moves, Scene.Update.Post fires with input null."""
        scene = self.store.touch_scene(scene_id)
        return self.host.run_hooks("Scene.Update.Post", int(scene["id"]), None, None)

    def merge_performers(self, sources: list[Any], destination: Any) -> dict:
        """`performerMerge` as develop runs it (not in the simulator's GraphQL, which serves v0.30.1's types): the
        scenes move to the destination, the sources are deleted, no hook fires and no scene's updated_at moves."""
        if self.api.version["version"] != "develop":
            raise SimulatorError("performerMerge exists only on develop")
        return self.store.merge_performers(sources, destination)

    def set_cover(self, scene_id: Any) -> int:
        return self.store.set_cover(scene_id)

    def configure_plugin(self, plugin_id: str, settings: dict) -> dict:
        return self.graphql(_CONFIGURE, {"p": plugin_id, "i": settings})["configurePlugin"]

    def run_task(self, plugin_id: str, task_name: str | None, args: dict | None = None, wait: bool = True,
                 timeout: float = 60.0) -> RunRecord | str:
        """Queues the task like the UI or runPluginTask; with wait=True returns its run record, else the job id."""
        job_id = self.graphql(_TASK, {"p": plugin_id, "t": task_name, "a": args})["runPluginTask"]
        if not wait:
            return job_id
        self.jobs.wait(job_id, timeout)
        for record in reversed(self.host.runs):
            if record.kind == "task" and record.job_id == job_id:
                return record
        raise SimulatorError(f"job {job_id} finished without running its plugin")
