"""Stash's own scene player as it reports a session to Stash, for tests and the demo.

Mirrors `ui/v2.5/src/components/ScenePlayer/track-activity.ts` (v0.24.0 … develop): while playing, a 1 s tick adds
to the seconds played; every 10 s of playing, and once more when the player pauses (the end of the video pauses it),
the activity is sent. The first send of a session counts the play (`sceneIncrementPlayCount`; `minimumPlayPercent`
defaults to 0, `ScenePlayer.tsx`), and every send saves the position and the seconds played since the last send
(`sceneSaveActivity(resume_time, playDuration)`), the position as 0 once it is at 98% or more.
"""

from __future__ import annotations

from typing import Callable

SEND_EVERY_S = 10  # track-activity.ts `sendInterval`
RESET_AT_PERCENT = 98  # track-activity.ts: "if video is 98% or more complete then reset resume_time"

GraphQL = Callable[[str, dict], dict]
_DURATION = "query D($id: ID) { findScene(id: $id) { files { duration } } }"
_INCREMENT = "mutation I($id: ID!) { sceneIncrementPlayCount(id: $id) }"
_SAVE = "mutation S($id: ID!, $r: Float, $d: Float) { sceneSaveActivity(id: $id, resume_time: $r, playDuration: $d) }"


def duration_of(graphql: GraphQL, scene_id: int) -> float:
    """The duration of the scene's first file, in seconds (what the player plays)."""
    return float(graphql(_DURATION, {"id": str(scene_id)})["findScene"]["files"][0]["duration"])


def play(graphql: GraphQL, scene_id: int, start_s: float, stop_s: float) -> int:
    """One sitting: playing from `start_s` until `stop_s` (or the end of the file), then pausing. Returns the
    number of requests the player made."""
    duration = duration_of(graphql, scene_id)
    stop_s = min(stop_s, duration)
    position, played, unsent, counted, requests = start_s, 0, 0, False, 0
    while position < stop_s:
        position = min(position + 1.0, stop_s)
        played += 1  # the tick counts whole seconds
        unsent += 1
        if played % SEND_EVERY_S == 0:
            requests += _send(graphql, scene_id, position, duration, unsent, counted)
            counted, unsent = True, 0
    if played:  # the pause sends once more (with 0 s played when it fell on a send)
        requests += _send(graphql, scene_id, position, duration, unsent, counted)
    return requests


def _send(graphql: GraphQL, scene_id: int, position: float, duration: float, unsent: int, counted: bool) -> int:
    requests = 0
    if not counted:
        graphql(_INCREMENT, {"id": str(scene_id)})
        requests += 1
    resume = 0.0 if 100 * position / duration >= RESET_AT_PERCENT else position
    graphql(_SAVE, {"id": str(scene_id), "r": resume, "d": float(unsent)})
    return requests + 1
