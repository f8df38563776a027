"""The main job, on generated data: Stash and Plex simulators up, the plugin installed into Stash,
Sync All run as a Stash task, an edit synced by its hook, and what Plex shows before and after.

Everything goes over the wire as it would for a real user: the simulators run as their own processes
(started by the same commands the README gives), the plugin is configured and run through Stash's
GraphQL API, and Plex is only looked at through the Plex simulator's inspection endpoints.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from package_plugin import install  # noqa: E402
from plugin.setting_keys import KEYS  # noqa: E402
from simulators import dataset  # noqa: E402

PLUGIN_ID = "Stash2Plex"
TOKEN = "demo-plex-token"
SCENE_QUERY = "query($id: ID) { findScene(id: $id) { title files { path } } }"


def start(module: str, *args: str, env: dict | None = None) -> tuple[subprocess.Popen, str]:
    """Starts a simulator by its README command; returns the process and the URL it printed."""
    proc = subprocess.Popen([sys.executable, "-m", module, "--port", "0", *args], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env={**os.environ, **(env or {})})
    line = proc.stdout.readline().strip()
    if "=" not in line:
        proc.kill()
        raise SystemExit(f"{module} did not start: {line!r}")
    return proc, line.split("=", 1)[1]


class Stash:
    def __init__(self, url: str) -> None:
        self.url = url

    def gql(self, query: str, variables: dict | None = None) -> dict:
        answer = requests.post(f"{self.url}/graphql", json={"query": query, "variables": variables or {}}, timeout=600)
        body = answer.json()
        if body.get("errors"):
            raise SystemExit(f"Stash said: {body['errors']}")
        return body["data"]

    def run_task(self, name: str) -> dict:
        job = self.gql("mutation($t: String) { runPluginTask(plugin_id: \"Stash2Plex\", task_name: $t) }",
                       {"t": name})["runPluginTask"]
        shown = -1
        while True:
            found = self.gql("query($id: ID!) { findJob(input: {id: $id}) { status progress } }", {"id": job})
            status, progress = found["findJob"]["status"], found["findJob"]["progress"] or 0
            if int(progress * 10) > shown:
                shown = int(progress * 10)
                print(f"    progress {progress:4.0%}", flush=True)
            if status in ("FINISHED", "CANCELLED", "FAILED"):
                break
            time.sleep(0.3)
        runs = requests.get(f"{self.url}/_sim/runs", timeout=30).json()
        return [r for r in runs if r.get("kind") == "task"][-1]


def plex_item(plex_url: str, stash_path: str) -> dict | None:
    answer = requests.get(f"{plex_url}/_sim/item-for-path", params={"stash_path": stash_path}, timeout=30)
    return answer.json() if answer.status_code == 200 else None


def describe(item: dict | None) -> str:
    if not item:
        return "(no Plex item)"
    actors = ", ".join(a[0] if isinstance(a, list) else str(a) for a in item.get("actors", [])) or "-"
    return (f"{item.get('title')!r} | studio {item.get('studio') or '-'} | date {item.get('originally_available_at')}"
            f" | rating {item.get('user_rating')} | genres {', '.join(item.get('genres', [])) or '-'}"
            f" | actors {actors} | poster {'yes' if item.get('poster_sha1') else 'no'}")


def plex_counts(plex_url: str) -> dict:
    return requests.get(f"{plex_url}/_sim/stats", timeout=30).json()["counts"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenes", type=int, default=500)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="stash2plex-demo-"))
    install(work / "plugins" / PLUGIN_ID)
    print(f"Plugin installed into a simulated Stash plugins folder: {work / 'plugins' / PLUGIN_ID}")
    plex_proc, plex_url = start("simulators.plex", "--scenes", str(args.scenes), "--seed", "1", "--token", TOKEN)
    stash_proc, stash_url = start("simulators.stash", "--scenes", str(args.scenes), "--seed", "1",
                                  "--plugins-dir", str(work / "plugins"), "--python", sys.executable,
                                  env={"STASH2PLEX_DATA_DIR": str(work / "data")})
    try:
        stash = Stash(stash_url)
        print(f"Stash simulator {stash_url} ({args.scenes} scenes, under {dataset.STASH_ROOT})")
        print(f"Plex simulator  {plex_url} (same files under {dataset.PLEX_ROOT}, some missing, some twins)\n")
        stash.gql("mutation($i: Map!) { configurePlugin(plugin_id: \"Stash2Plex\", input: $i) }",
                  {"i": {KEYS["plex_url"]: plex_url, KEYS["plex_token"]: TOKEN}})
        samples = [str(i) for i in (1, 2, 3, 7)]
        paths = {s: stash.gql(SCENE_QUERY, {"id": s})["findScene"]["files"][0]["path"] for s in samples}
        print("Plex before:")
        for s in samples:
            print(f"  scene {s}: {describe(plex_item(plex_url, paths[s]))}")

        print("\nRunning the Stash task 'Sync All Scenes to Plex'...")
        started = time.monotonic()
        run = stash.run_task("Sync All Scenes to Plex")
        wall = time.monotonic() - started
        for level, message in run["logs"][:12]:
            print(f"    [{level}] {message[:160]}")
        print(f"  -> {run['output'] or run['error']}  ({wall:.1f} s)")
        counts = plex_counts(plex_url)
        per_scene = counts["total"] / max(1, args.scenes)
        print(f"  Plex requests: {json.dumps({k: v for k, v in counts.items() if v})} = {per_scene:.2f} per scene")

        print("\nPlex after:")
        for s in samples:
            print(f"  scene {s}: {describe(plex_item(plex_url, paths[s]))}")

        print("\nEditing scene 3 in Stash (new title, one tag, rating 90)...")
        requests.post(f"{plex_url}/_sim/reset-stats", timeout=30)
        started = time.monotonic()
        stash.gql('mutation { sceneUpdate(input: {id: "3", title: "Edited in Stash ✨", tag_ids: ["5"], '
                  "rating100: 90}) { id } }")
        print(f"  Save returned after {1000 * (time.monotonic() - started):.0f} ms (the hook only queued the scene)")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and (plex_item(plex_url, paths["3"]) or {}).get("title") != \
                "Edited in Stash ✨":
            time.sleep(0.2)
        print(f"  scene 3: {describe(plex_item(plex_url, paths['3']))}")
        print(f"  Plex requests for the edit: {json.dumps({k: v for k, v in plex_counts(plex_url).items() if v})}")

        print("\nRunning Sync All again (nothing changed)...")
        requests.post(f"{plex_url}/_sim/reset-stats", timeout=30)
        run = stash.run_task("Sync All Scenes to Plex")
        counts = plex_counts(plex_url)
        print(f"  -> {run['output'] or run['error']}")
        print(f"  Plex writes: {counts.get('edit', 0)} edits, {counts.get('poster', 0)} posters")
    finally:
        for proc in (stash_proc, plex_proc):
            proc.terminate()
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()
