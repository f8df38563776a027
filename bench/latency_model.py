"""Part 6: a first sync against a Plex that answers like a real one, and what the plugin itself costs.

The Plex simulator runs the latency model (reads 5 ms, writes 25 ms one at a time as PMS's one database writer
takes them, listings 1 ms per item, poster uploads 60 ms): a sync can go no faster than the writes a perfect
plugin must make (one edit per item whose fields changed, one upload per changed cover: `bench.needed`, read from
Plex's state before and after), and the figure is the sync's wall against that limit. The plugin's CPU (user +
system of its own processes, sampled from /proc) per scene is taken on that sync and on an unchanged re-sync:
the figure the machine's noise hardly moves. Meanwhile another Plex client reads every 50 ms: how long its reads
waited behind the plugin's writes is the price a person browsing Plex pays for the sync (`other_client`).
"""

from __future__ import annotations

from pathlib import Path

from bench.needed import write_limit_s
from bench.other_client import OtherClient, read_waits
from bench.rig import Rig, against_needed

WRITE_MS, POSTER_MS = 25, 60
MODEL = ("--read-ms", "5", "--write-ms", str(WRITE_MS), "--listing-item-ms", "1", "--poster-ms", str(POSTER_MS))
SYNC_ALL = "Sync All Scenes to Plex"


def run(scenes: int, workdir: Path) -> dict:
    with Rig(scenes, workdir, 0, MODEL) as rig:
        with OtherClient(rig.plex):
            first = rig.timed_task(SYNC_ALL, needed=True)
        again = rig.timed_task(SYNC_ALL)
    limit = write_limit_s(first["needed"], WRITE_MS / 1000, POSTER_MS / 1000)
    others = read_waits(first["plex_writer"])
    plugin = {**first["plex"], "total": first["plex"].get("total", 0) - others["reads"]}  # the plugin's alone
    return {"latency_model": {
        "scenes": scenes,
        "model": " ".join(MODEL),
        "wall_s": first["wall_s"],
        "plex_write_limit_s": limit,
        "plex_writer_busy_s": first["plex_writer"]["busy_s"],
        **against_needed(plugin, first["needed"]),
        "wall_over_write_limit": round(first["wall_s"] / limit, 3) if limit else None,
        "plugin_cpu_ms_per_scene_first_sync": round(first["plugin_cpu_s"] * 1000 / scenes, 3),
        "plugin_cpu_ms_per_scene_unchanged_resync": round(again["plugin_cpu_s"] * 1000 / scenes, 3),
        "resync_plex_requests": again["plex"].get("total", 0),
        "other_client_reads": others,
    }}
