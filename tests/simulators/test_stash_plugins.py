"""Plugin execution in the Stash simulator: manifests, hook stdin/stdout/stderr protocol, tasks and the job queue.

Each test writes a tiny throwaway plugin into tmp_path, so what is checked is the simulator's side of the protocol.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import requests

pytestmark = pytest.mark.e2e  # the Stash simulator runs plugins as processes

REPO = Path(__file__).resolve().parents[2]

ECHO_PY = textwrap.dedent('''
    import json, os, sys, time
    raw = sys.stdin.read()
    data = json.loads(raw)
    args = data["args"]
    if args.get("mode") == "count":
        for p in (0.25, 0.5, 1.0):
            print("\\x01p\\x02%s" % p, file=sys.stderr, flush=True)
        print(json.dumps({"output": "counted", "error": None}))
        sys.exit(0)
    if args.get("mode") == "fail":
        sys.exit(3)
    if "op" in args:  # runPluginOperation
        print(json.dumps({"output": {"args": args, "pluginDir": data["server_connection"]["PluginDir"]},
                          "error": args.get("fail")}))
        sys.exit(0)
    time.sleep(0.2)  # the mutation must still wait for us
    with open(os.environ["ECHO_OUT"], "a", encoding="utf-8") as out:
        out.write(json.dumps({"stdin": raw, "cwd": os.getcwd(), "argv": sys.argv,
                              "pythonpath": os.environ.get("PYTHONPATH", "")}) + "\\n")
    for level in "tdiwe":
        print("\\x01%s\\x02level %s" % (level, level), file=sys.stderr, flush=True)
    print("plain stderr line", file=sys.stderr, flush=True)
    print(json.dumps({"output": "ok"}))
''')

ECHO_YML = textwrap.dedent('''
    name: Echo Plugin
    description: echoes stdin
    version: 0.1
    exec:
      - python
      - "{pluginDir}/echo.py"
      - "--dir={pluginDir}"
    interface: raw
    settings:
      someSetting:
        displayName: Some setting
        type: STRING
    hooks:
      - name: echo scene
        description: echoes scene hooks
        triggeredBy:
          - Scene.Update.Post
          - Scene.Create.Post
          - Tag.Update.Post
        defaultArgs:
          mode: hook
    tasks:
      - name: Count
        description: reports progress
        defaultArgs:
          mode: count
          days: 30
      - name: Fail
        defaultArgs: {mode: fail}
''')


def make_plugin(root: Path, extra_files: dict[str, str] | None = None) -> Path:
    folder = root / "plugins" / "echo"
    folder.mkdir(parents=True)
    (folder / "echo.py").write_text(ECHO_PY, encoding="utf-8")
    (folder / "echo.yml").write_text(ECHO_YML, encoding="utf-8")
    for name, text in (extra_files or {}).items():
        (folder / name).write_text(text, encoding="utf-8")
    return root / "plugins"


def echoes(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def test_scene_update_runs_the_hook_with_stashs_exact_stdin_before_returning(make_stash_sim, tmp_path):
    out = tmp_path / "echo.jsonl"
    sim = make_stash_sim(scenes=10, plugins_dir=make_plugin(tmp_path), env={"ECHO_OUT": str(out)})
    runs = sim.update_scene(4, title="New title", tag_ids=["1", "2"])
    seen = echoes(out)
    assert len(seen) == 1 and len(runs) == 1  # written before sceneUpdate answered
    stdin = json.loads(seen[0]["stdin"])
    assert list(stdin) == ["server_connection", "args"]
    conn = stdin["server_connection"]
    assert list(conn) == ["Scheme", "Host", "Port", "SessionCookie", "Dir", "PluginDir"]
    assert conn["Host"] == "0.0.0.0" and conn["Port"] == sim.port and conn["SessionCookie"] is None
    assert conn["PluginDir"] == str(tmp_path / "plugins" / "echo")
    args = stdin["args"]
    assert args["mode"] == "hook"
    ctx = args["hookContext"]
    assert list(ctx) == ["id", "type", "input", "inputFields"]
    assert ctx["id"] == 4 and ctx["type"] == "Scene.Update.Post"
    assert sorted(ctx["inputFields"]) == ["id", "tag_ids", "title"]
    assert ctx["input"]["title"] == "New title" and ctx["input"]["tag_ids"] == ["1", "2"]
    assert ctx["input"]["details"] is None and ctx["input"]["clientMutationId"] is None
    assert "primary_file_id" in ctx["input"] and len(ctx["input"]) == 24
    assert seen[0]["cwd"] == os.getcwd()
    assert seen[0]["argv"] == [str(tmp_path / "plugins" / "echo" / "echo.py"),
                                   f"--dir={tmp_path / 'plugins' / 'echo'}"]
    assert seen[0]["pythonpath"].split(os.pathsep)[-1] == str(tmp_path / "plugins")
    run = runs[0]
    assert run.kind == "hook" and run.name == "Scene.Update.Post" and run.exit_code == 0
    assert run.output == "ok" and run.error is None and run.progress == []
    assert run.logs == [("trace", "level t"), ("debug", "level d"), ("info", "level i"), ("warning", "level w"),
                        ("error", "level e"), ("error", "plain stderr line")]
    assert run.stdin == seen[0]["stdin"]


def test_scan_hooks_carry_null_input_and_no_input_fields(make_stash_sim, tmp_path):
    out = tmp_path / "echo.jsonl"
    sim = make_stash_sim(scenes=3, plugins_dir=make_plugin(tmp_path), env={"ECHO_OUT": str(out)})
    scene, created = sim.create_scene(title="Scanned")
    sim.scan_update(1)
    contexts = [json.loads(e["stdin"])["args"]["hookContext"] for e in echoes(out)]
    assert contexts == [{"id": int(scene["id"]), "type": "Scene.Create.Post", "input": None},
                        {"id": 1, "type": "Scene.Update.Post", "input": None}]
    cover = requests.get(f"{sim.url}/scene/{scene['id']}/screenshot", timeout=10)
    assert cover.headers["Content-Type"] == "image/svg+xml"  # hooked before the cover exists


def test_session_cookie_is_sent_when_auth_is_on_and_it_works(make_stash_sim, tmp_path):
    out = tmp_path / "echo.jsonl"
    sim = make_stash_sim(scenes=3, plugins_dir=make_plugin(tmp_path), env={"ECHO_OUT": str(out)}, api_key="key")
    sim.update_scene(2, organized=True)
    cookie = json.loads(echoes(out)[0]["stdin"])["server_connection"]["SessionCookie"]
    assert cookie["Name"] == "session" and cookie["MaxAge"] == 3600
    r = requests.post(f"{sim.url}/graphql", json={"query": "{ version { version } }"},
                      cookies={"session": cookie["Value"]}, timeout=10)
    assert r.status_code == 200


def test_task_runs_in_the_job_queue_with_progress_and_merged_args(make_stash_sim, tmp_path):
    sim = make_stash_sim(scenes=3, plugins_dir=make_plugin(tmp_path), env={"ECHO_OUT": str(tmp_path / "x")})
    record = sim.run_task("echo", "Count", args={"days": "7", "extra": 1})
    assert record.kind == "task" and record.progress == [0.25, 0.5, 1.0]
    assert record.output == "counted" and record.error is None
    assert json.loads(record.stdin)["args"] == {"days": "7", "extra": 1, "mode": "count"}
    r = requests.post(f"{sim.url}/graphql", json={"query": f'{{ findJob(input: {{id: "{record.job_id}"}}) '
                                                           "{ status progress description } }"}, timeout=10)
    assert r.json()["data"]["findJob"] == {"status": "FINISHED", "progress": 1.0,
                                           "description": "Running plugin task: Count"}
    failed = sim.run_task("echo", "Fail")
    assert failed.exit_code == 3 and failed.error == "exit status 3"
    assert sim.jobs.get(failed.job_id).status == "FINISHED"  # a plugin cannot fail its job


def test_tasks_run_one_at_a_time_in_order(make_stash_sim, tmp_path):
    sim = make_stash_sim(scenes=3, plugins_dir=make_plugin(tmp_path), env={"ECHO_OUT": str(tmp_path / "x")})
    job_ids = [sim.run_task("echo", "Count", wait=False) for _ in range(3)]
    for job_id in job_ids:
        sim.jobs.wait(job_id, 30)
    tasks = [r for r in sim.runs if r.kind == "task"]
    assert [r.job_id for r in tasks] == job_ids
    for earlier, later in zip(tasks, tasks[1:], strict=False):
        assert later.started_at >= earlier.started_at + earlier.wall_time - 0.01


def test_unknown_task_is_a_graphql_error(make_stash_sim, tmp_path):
    sim = make_stash_sim(scenes=3, plugins_dir=make_plugin(tmp_path))
    r = requests.post(f"{sim.url}/graphql", json={"query": 'mutation { runPluginTask(plugin_id: "echo", '
                                                           'task_name: "Nope") }'}, timeout=10)
    assert r.status_code == 200 and "not found" in r.json()["errors"][0]["message"]


OPERATION = "mutation($id: ID!, $args: Map) { runPluginOperation(plugin_id: $id, args: $args) }"


def test_run_plugin_operation_returns_the_output_of_a_run_with_only_the_given_args(make_stash_sim, tmp_path):
    sim = make_stash_sim(scenes=3, plugins_dir=make_plugin(tmp_path), env={"ECHO_OUT": str(tmp_path / "x")})
    r = requests.post(f"{sim.url}/graphql", json={"query": OPERATION, "variables": {
        "id": "echo", "args": {"op": "status", "ids": ["1", "2"]}}}, timeout=30)
    assert r.status_code == 200 and "errors" not in r.json()
    assert r.json()["data"]["runPluginOperation"] == {
        "args": {"op": "status", "ids": ["1", "2"]}, "pluginDir": str(tmp_path / "plugins" / "echo")}
    (run,) = sim.runs
    assert run.kind == "operation" and run.job_id is None and sim.jobs.active() == []


def test_an_operations_error_is_the_mutations_error_and_not_logged(make_stash_sim, tmp_path):
    sim = make_stash_sim(scenes=3, plugins_dir=make_plugin(tmp_path), env={"ECHO_OUT": str(tmp_path / "x")})
    r = requests.post(f"{sim.url}/graphql", json={"query": OPERATION, "variables": {
        "id": "echo", "args": {"op": "x", "fail": "bad scene id"}}}, timeout=30)
    body = r.json()
    assert body["data"] == {"runPluginOperation": None}
    assert body["errors"][0]["message"] == "bad scene id" and body["errors"][0]["path"] == ["runPluginOperation"]
    assert not any("bad scene id" in line for _level, line in sim.log)


def test_run_plugin_operation_does_not_exist_before_v0_25(make_stash_sim, tmp_path):
    from simulators.shared import stash_schema_sdl
    from tests.fixtures.shared import shared_or_skip

    shared_or_skip(lambda: stash_schema_sdl("v0.24.0"))
    sim = make_stash_sim(scenes=3, plugins_dir=make_plugin(tmp_path), version="v0.24.0")
    r = requests.post(f"{sim.url}/graphql", json={"query": OPERATION, "variables": {"id": "echo", "args": {}}},
                      timeout=30)
    assert r.status_code == 422 and "runPluginOperation" in r.json()["errors"][0]["message"]
    assert sim.runs == []


def test_a_stray_yml_in_the_plugin_folder_fails_to_load(make_stash_sim, tmp_path):
    plugins = make_plugin(tmp_path, {"docker-compose.yml": "services:\n  app:\n    image: x\n"})
    sim = make_stash_sim(scenes=3, plugins_dir=plugins)
    assert set(sim.host.plugins) == {"echo"}
    assert any("docker-compose.yml" in line and "services" in line for _level, line in sim.log)


def test_unknown_manifest_key_fails_the_whole_plugin(make_stash_sim, tmp_path):
    plugins = make_plugin(tmp_path)
    yml = plugins / "echo" / "echo.yml"
    yml.write_text(yml.read_text().replace("    type: STRING", "    type: STRING\n    default: x"))
    sim = make_stash_sim(scenes=3, plugins_dir=plugins)
    assert sim.host.plugins == {}
    assert any("default" in line for _level, line in sim.log)


def test_a_key_given_twice_fails_the_plugin_as_yaml_v3_does(make_stash_sim, tmp_path):
    plugins = make_plugin(tmp_path)
    yml = plugins / "echo" / "echo.yml"
    yml.write_text(yml.read_text() + "interface: raw\n")
    sim = make_stash_sim(scenes=3, plugins_dir=plugins)
    assert sim.host.plugins == {}
    assert any("'interface' already defined" in line for _level, line in sim.log)


def test_tag_rename_fires_tag_hook_and_changes_no_scene(make_stash_sim, tmp_path):
    out = tmp_path / "echo.jsonl"
    sim = make_stash_sim(scenes=20, plugins_dir=make_plugin(tmp_path), env={"ECHO_OUT": str(out)})
    before = {s["id"]: s["updated_at"] for s in sim.store.scenes()}
    r = requests.post(f"{sim.url}/graphql", json={"query": 'mutation { tagUpdate(input: {id: "3", name: "Renamed"}) '
                                                           "{ id name } }"}, timeout=10)
    assert r.json()["data"]["tagUpdate"] == {"id": "3", "name": "Renamed"}
    assert {s["id"]: s["updated_at"] for s in sim.store.scenes()} == before
    ctx = json.loads(echoes(out)[0]["stdin"])["args"]["hookContext"]
    assert ctx["type"] == "Tag.Update.Post" and ctx["id"] == 3 and sorted(ctx["inputFields"]) == ["id", "name"]
    assert ctx["input"]["name"] == "Renamed" and ctx["input"]["aliases"] is None
    tagged = [s for s in sim.store.scenes() if "3" in s["tag_ids"]]
    q = "query($id: ID) { findScene(id: $id) { tags { id name } } }"
    r = requests.post(f"{sim.url}/graphql", json={"query": q, "variables": {"id": tagged[0]["id"]}}, timeout=10)
    tags = r.json()["data"]["findScene"]["tags"]
    assert {"id": "3", "name": "Renamed"} in tags


def test_cli_prints_url_serves_control_endpoints_and_stops_on_sigterm(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "simulators.stash", "--port", "0", "--scenes", "30",
                             "--seed", "2", "--api-key", "cli-key"],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline().strip()
        assert line.startswith("STASH_URL=http://127.0.0.1:")
        url = line.split("=", 1)[1]
        q = {"query": "query Counted { findScenes { count } }"}
        assert requests.post(f"{url}/graphql", json=q, timeout=10).status_code == 401
        r = requests.post(f"{url}/graphql", json=q, headers={"ApiKey": "cli-key"}, timeout=10)
        assert r.json()["data"]["findScenes"]["count"] == 30
        assert requests.get(f"{url}/_sim/stats", timeout=10).json()["Counted"] == 1
        assert requests.post(f"{url}/_sim/reset-stats", timeout=10).status_code == 200
        assert requests.get(f"{url}/_sim/stats", timeout=10).json() == {}
        assert requests.get(f"{url}/_sim/runs", timeout=10).json() == []
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
        proc.stdout.close()
        proc.stderr.close()
