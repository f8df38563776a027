"""Part 4: the cost of one hook enqueue as the queue's history grows (the target: flat).

Each size is reached by adding acked rows in one transaction (bench/fill.py); then `samples` hook-style
requests (force=True) for distinct scenes are enqueued one transaction each, as hooks do, and timed one by
one. The median hides the occasional fsync stall that has nothing to do with the queue's size.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Dict, List, Sequence

from bench.fill import LIBRARY_SCENES, fill_completed
from bench.stats import summary
from sync_queue.db import connect
from sync_queue.enqueue import EnqueueRequest, enqueue

WARMUP = 20  # right after a fill the page cache and SQLite's own cache are cold, which is not the queue's size


def run(sizes: Sequence[int], samples: int, plot_path: Path) -> dict:
    points: List[Dict] = []
    with tempfile.TemporaryDirectory(prefix="bench-enqueue-") as tmp:
        conn = connect(Path(tmp) / "queue.sqlite3")
        try:
            next_scene = 1
            for size in sorted(sizes):
                fill_completed(conn, size)
                walls = []
                for n in range(WARMUP + samples):
                    request = EnqueueRequest(scene_id=next_scene, reason="edited", force=True)
                    next_scene = next_scene % LIBRARY_SCENES + 1
                    start = time.perf_counter()
                    result = enqueue(conn, [request])
                    if n >= WARMUP:
                        walls.append(time.perf_counter() - start)
                    if result.queued != 1:
                        raise RuntimeError(f"enqueue at {size} rows did not queue: {result}")
                points.append({"completed_rows": size, "enqueue_ms": summary(walls)})
        finally:
            conn.close()
    smallest, largest = points[0]["enqueue_ms"]["median"], points[-1]["enqueue_ms"]["median"]
    _plot(points, plot_path)
    return {
        "samples_per_size": samples,
        "points": points,
        "ratio_largest_smallest": round(largest / smallest, 2),
        "plot": plot_path.name,
    }


def _plot(points: List[Dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    rows = [p["completed_rows"] for p in points]
    figure, axes = pyplot.subplots(figsize=(6, 4))
    axes.plot(rows, [p["enqueue_ms"]["median"] for p in points], marker="o", label="median")
    axes.plot(rows, [p["enqueue_ms"]["p95"] for p in points], marker="x", linestyle="--", label="p95")
    axes.set_xscale("log")
    axes.set_ylim(bottom=0)
    axes.set_xlabel("completed rows in the queue database")
    axes.set_ylabel("ms per enqueue (one transaction)")
    axes.set_title("Hook enqueue cost vs queue history")
    axes.legend()
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    pyplot.close(figure)
