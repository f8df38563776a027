"""Part 4: the cost of one hook enqueue as the queue's history grows (the target: flat).

One database per size, filled with acked rows in one transaction (bench/fill.py); then hook-style requests
(force=True) are enqueued one transaction each, as hooks do, taking turns between the databases and timed
one by one. The median hides the occasional fsync stall that has nothing to do with the queue's size.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Dict, List, Sequence

from bench.fill import LIBRARY_SCENES, fill_completed
from bench.stats import summary
from sync_queue.db import connect
from sync_queue.dedup import EnqueueRequest, apply
from sync_queue.txn import write_txn

WARMUP = 20  # right after a fill SQLite's cache is cold, which has nothing to do with the queue's size


def run(sizes: Sequence[int], samples: int, plot_path: Path) -> dict:
    sizes = sorted(sizes)
    walls: Dict[int, List[float]] = {size: [] for size in sizes}
    with tempfile.TemporaryDirectory(prefix="bench-enqueue-") as tmp:
        conns = {size: connect(Path(tmp) / f"queue-{size}.sqlite3") for size in sizes}
        try:
            for size, conn in conns.items():
                fill_completed(conn, size)
            # Round-robin over the databases: a noisy moment of the machine hits every size alike.
            for n in range(WARMUP + samples):
                scene_id = n % LIBRARY_SCENES + 1
                for size, conn in conns.items():
                    start = time.perf_counter()
                    with write_txn(conn):  # as Store.queue.enqueue: one transaction per hook
                        result = apply(conn, [EnqueueRequest(scene_id=scene_id, reason="edited", force=True)])
                    wall = time.perf_counter() - start
                    if result.queued != 1:
                        raise RuntimeError(f"enqueue at {size} rows did not queue: {result}")
                    if n >= WARMUP:
                        walls[size].append(wall)
        finally:
            for conn in conns.values():
                conn.close()
    points = [{"completed_rows": size, "enqueue_ms": summary(walls[size])} for size in sizes]
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
