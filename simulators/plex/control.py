"""``/_sim/`` control endpoints: what a test in another process uses to inspect and steer the simulator.

They bypass the token, faults and counters, so observing the simulator never changes what it reports.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

from simulators.plex.server import Reply

if TYPE_CHECKING:
    from simulators.plex.simulator import PlexSimulator

_ITEM = re.compile(r"^/_sim/items/(\d+)$")
_ADD = re.compile(r"^/_sim/add-scene/(\d+)$")
_REFRESH = re.compile(r"^/_sim/refresh/(\d+)$")


def handle(sim: PlexSimulator, method: str, path: str, query: str, body: bytes) -> Reply:
    try:
        payload = json.loads(body) if body.strip() else {}
        return _json(200, _dispatch(sim, method, path, dict(parse_qsl(query)), payload))
    except KeyError as exc:
        return _json(404, {"error": f"not found: {exc}"})
    except (ValueError, TypeError) as exc:
        return _json(400, {"error": str(exc)})


def _dispatch(sim: PlexSimulator, method: str, path: str, params: dict[str, str], payload: dict) -> object:
    if method == "GET" and path == "/_sim/stats":
        return sim.stats_json()
    if method == "GET" and path == "/_sim/items":
        return [state.to_json() for state in sim.items()]
    if method == "GET" and path == "/_sim/log":
        return [entry.__dict__ for entry in list(sim.log)]
    if method == "POST" and path == "/_sim/reset-stats":
        sim.reset_counts()
        return sim.stats_json()
    if method == "POST" and path == "/_sim/faults":
        sim.faults.configure(payload)
        return sim.faults.to_json()
    if method == "GET" and path == "/_sim/item-for-path":
        state = sim.item_for_stash_path(params["stash_path"])
        if state is None:
            raise KeyError(params["stash_path"])
        return state.to_json()
    match = _ITEM.match(path)
    if match and method == "GET":
        return sim.item(int(match.group(1))).to_json()
    if match and method == "POST":
        return sim.user_edit(int(match.group(1)), **payload).to_json()
    match = _ADD.match(path)
    if match and method == "POST":
        return {"ratingKey": sim.add_scene(match.group(1))}
    match = _REFRESH.match(path)
    if match and method == "POST":
        return {"added": sim.refresh(int(match.group(1)))}
    raise KeyError(path)


def _json(status: int, data: object) -> Reply:
    return Reply(status, "application/json", json.dumps(data).encode())
