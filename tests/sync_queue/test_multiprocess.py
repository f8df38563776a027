"""Real processes: concurrent hooks, concurrent claimers, a drainer killed mid-job, concurrent claims."""

from __future__ import annotations

import json
import os
import signal
import threading
from collections import Counter

import pytest

from sync_queue import Store
from sync_queue.ackqueue import TABLE as QUEUE_TABLE
from sync_queue.dedup import EnqueueRequest
from sync_queue.queue import SyncOutcome

from .conftest import finish, spawn_python, state_of

pytestmark = pytest.mark.e2e  # real processes racing on one database

HOOKS = 200
SCENES = 50
UPDATED_AT = "2024-05-01T08:00:00Z"

_HOOK_CODE = """
import json
from sync_queue import Store
from sync_queue.dedup import EnqueueRequest
index, path = int(sys.argv[1]), sys.argv[2]
store = Store(path)
totals = [0, 0, 0]
for k in range(5):
    scene = (index * 7 + k) % 50
    force = (index + k) % 3 != 0
    request = EnqueueRequest(scene, "edited" if force else "reconcile", force, updated_at=UPDATED_AT_TEXT)
    result = store.queue.enqueue([request])
    totals = [totals[0] + result.queued, totals[1] + result.coalesced, totals[2] + result.dropped]
print(json.dumps(totals))
""".replace("UPDATED_AT_TEXT", repr(UPDATED_AT))

_DUPLICATE_PENDING = (
    f"SELECT json_extract(CAST(data AS TEXT), '$.scene_id') AS scene, COUNT(*) FROM {QUEUE_TABLE} "
    "WHERE status < 2 GROUP BY scene HAVING COUNT(*) > 1"
)


def test_200_concurrent_hook_processes_keep_one_pending_job_per_scene(db_path, store, conn) -> None:
    violations, completed, errors = [], [], []
    polls = [0]
    stop = threading.Event()

    def watch_and_drain() -> None:
        # Drains while hooks run, so the "job in progress" branch is exercised too.
        watcher = Store(db_path)
        try:
            while not stop.is_set():
                violations.extend(watcher._conn.execute(_DUPLICATE_PENDING).fetchall())
                polls[0] += 1
                for job in watcher.queue.claim(3):
                    watcher.queue.record_fetched([(job.scene_id, UPDATED_AT)])
                    watcher.queue.complete(job, SyncOutcome("synced", updated_at=UPDATED_AT))
                    completed.append(job.job_id)
        except BaseException as exc:  # surfaced by the assertions below
            errors.append(exc)
        finally:
            watcher.close()

    processes = [spawn_python(_HOOK_CODE, str(i), str(db_path), isolated=True) for i in range(HOOKS)]
    watcher = threading.Thread(target=watch_and_drain)
    watcher.start()
    try:
        outputs = [finish(p) for p in processes]
    finally:
        stop.set()
        watcher.join()
    assert errors == [] and polls[0] > 0
    assert violations == []
    assert conn.execute(_DUPLICATE_PENDING).fetchall() == []
    queued, coalesced, dropped = (sum(column) for column in zip(*(json.loads(o) for o in outputs), strict=True))
    assert queued + coalesced + dropped == HOOKS * 5
    assert conn.execute(f"SELECT COUNT(*) FROM {QUEUE_TABLE}").fetchone()[0] == queued
    assert store.queue.pending_count() + len(completed) == queued
    assert store.queue.pending_count() <= SCENES


_CLAIMER_CODE = """
from sync_queue import Store
from sync_queue.queue import SyncOutcome
queue = Store(sys.argv[1]).queue
claimed = []
while True:
    jobs = queue.claim(4)
    if not jobs:
        break
    for job in jobs:
        queue.complete(job, SyncOutcome("synced", updated_at="2024-05-01T08:00:00Z"))
        claimed.append(job.job_id)
print(" ".join(map(str, claimed)))
"""


def test_four_claimer_processes_claim_each_of_2000_jobs_once(db_path, store, conn) -> None:
    assert store.queue.enqueue([EnqueueRequest(i, "sync_all", True) for i in range(2000)]).queued == 2000
    outputs = [finish(p) for p in [spawn_python(_CLAIMER_CODE, str(db_path)) for _ in range(4)]]
    claimed = [int(x) for out in outputs for x in out.split()]
    duplicates = [job_id for job_id, n in Counter(claimed).items() if n > 1]
    assert duplicates == []
    assert sorted(claimed) == list(range(1, 2001))
    assert store.queue.pending_count() == 0 and store.queue.claimed_count() == 0


_DRAINER_CODE = """
import time
from sync_queue import Store
store = Store(sys.argv[1])
assert store.lease.acquire("drainer-a", 60.0, time.time())
(job,) = store.queue.claim(1)
print(job.job_id, flush=True)
time.sleep(600)
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL (POSIX)")
def test_sigkilled_drainer_job_is_recovered_by_the_next_lease_holder(db_path, store, conn) -> None:
    store.queue.enqueue([EnqueueRequest(11, "edited", True)])
    drainer = spawn_python(_DRAINER_CODE, str(db_path))
    try:
        job_id = int(drainer.stdout.readline())
    finally:
        os.kill(drainer.pid, signal.SIGKILL)
        drainer.communicate()
    assert drainer.returncode == -signal.SIGKILL
    held = store.lease.holder(0.0)
    assert held.owner == "drainer-a" and held.pid == drainer.pid
    # "drainer-a" names no host, so its death cannot be proven: the TTL applies.
    assert not store.lease.acquire("drainer-b", 60.0, held.heartbeat + 1)
    assert store.queue.claim(5) == []  # the dead drainer's row is still claimed
    assert store.lease.acquire("drainer-b", 60.0, held.expires_at + 1)
    assert store.queue.recover_after_takeover() == 1
    (job,) = store.queue.claim(5)
    assert job.job_id == job_id and job.scene_id == 11
    store.queue.complete(job, SyncOutcome("synced", updated_at=UPDATED_AT))
    assert store.queue.claim(5) == []
    assert conn.execute(f"SELECT _id, status FROM {QUEUE_TABLE}").fetchall() == [(job_id, 5)]
    assert state_of(store, 11).status == "synced"


_CLAIM_IF_DUE_CODE = """
import os, time
from sync_queue import Store
path, go = sys.argv[1], sys.argv[2]
store = Store(path)
while not os.path.exists(go):
    time.sleep(0.005)
print(store.meta.claim_if_due("last_auto_reconcile", 3600.0, 1000.0))
"""


def test_claim_if_due_has_exactly_one_winner_among_20_processes(db_path, conn, tmp_path) -> None:
    go = tmp_path / "go"
    processes = [spawn_python(_CLAIM_IF_DUE_CODE, str(db_path), str(go), isolated=True) for _ in range(20)]
    go.touch()
    answers = [finish(p).strip() for p in processes]
    assert sorted(answers) == ["False"] * 19 + ["True"]
