"""The benchmark command must keep working: its smoke version runs here as a real process.

Only the shape is checked (every section present, with numbers): smoke sizes are far too small to judge
the performance targets, which the full `python -m bench` reports.
"""

from __future__ import annotations

import json
import numbers
import subprocess
import sys
from pathlib import Path

import pytest

from bench.harness import PLEX_TOKEN

pytestmark = pytest.mark.e2e  # the benchmark runs as a process

ROOT = Path(__file__).resolve().parents[1]


def _number(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def test_bench_smoke_writes_every_section_with_numbers(tmp_path: Path) -> None:
    out = tmp_path / "results"
    proc = subprocess.run([sys.executable, "-m", "bench", "--smoke", "--out", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))

    hook = results["hook_latency"]
    assert all(_number(hook[k]["median"]) and _number(hook[k]["p95"]) for k in ("hook_ms", "python_pass_ms"))
    assert hook["jobs_queued_by_hooks"] == hook["jobs_expected"]  # every firing really enqueued

    ui = results["ui_status"]
    assert ui["scene_ids"] == 40 and all(_number(ui[k]["median"]) for k in ("process_ms", "operation_ms"))

    first = results["first_sync"]
    assert _number(first["wall_s"]) and _number(first["scenes_per_s"]) and _number(first["peak_rss_mb"])
    kinds = {"listing GET", "file look-up GET", "item GET", "PUT", "poster POST", "all"}
    assert set(first["plex_requests_per_scene"]) == kinds
    assert first["plex_requests"]["edit"] > 0 and first["stash_requests"]["total"] > 0

    change = results["metadata_change"]
    assert _number(change["plex_requests_per_changed_scene"]) and change["plex_requests"]["edit"] > 0
    assert _number(results["unchanged_resync"]["plex_writes"])

    scaling = results["enqueue_scaling"]
    assert len(scaling["points"]) == 2 and _number(scaling["ratio_largest_smallest"])
    assert (out / scaling["plot"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    reconcile = results["reconcile"]
    assert _number(reconcile["wall_s"]) and reconcile["plex_requests_total"] > 0
    assert reconcile["stash_requests_total"] > 0 and _number(reconcile["peak_rss_mb"])
    assert _number(results["drain_memory"]["rss_mb_at_target"])

    model = results["latency_model"]
    assert _number(model["plex_write_limit_s"]) and model["needed_edits"] > 0
    assert _number(model["puts_per_changed_item"])
    assert _number(first["plex_requests_per_synced_item"]) and _number(change["writes_over_needed"])
    crash = results["crash"]
    assert crash["kills"] >= 1 and crash["jobs_left"] == 0 and _number(crash["extra_edits_per_kill"])
    assert results["meta"]["failed_parts"] == []

    assert {t["figure"] for t in results["targets"]} >= {"hook median ms", "scenes/s", "largest / smallest"}
    assert "hook median ms" in proc.stdout  # the table is printed
    for written in (out / "results.json", out / "report.txt"):
        assert PLEX_TOKEN not in written.read_text(encoding="utf-8")
