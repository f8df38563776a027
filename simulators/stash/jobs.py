"""Stash's job manager: one worker, jobs run one at a time in FIFO order (plugin tasks wait behind each other)."""

from __future__ import annotations

import itertools
import queue
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Callable

READY, RUNNING, FINISHED, CANCELLED = "READY", "RUNNING", "FINISHED", "CANCELLED"


@dataclass
class Job:
    id: str
    description: str
    status: str
    add_time: str
    progress: float | None = None
    start_time: str | None = None
    end_time: str | None = None
    error: str | None = None

    def to_graphql(self) -> dict:
        return {"id": self.id, "status": self.status, "subTasks": [], "description": self.description,
                "progress": self.progress, "startTime": self.start_time, "endTime": self.end_time,
                "addTime": self.add_time, "error": self.error}


class JobQueue:
    """The worker thread starts lazily and stops with stop(); a job's function gets its id and a progress callback."""

    def __init__(self, now: Callable[[], str]) -> None:
        self._now = now
        self._ids = itertools.count(1)
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._queue: queue.Queue = queue.Queue()
        self._done = threading.Condition(self._lock)
        self._worker: threading.Thread | None = None

    def add(self, description: str, work: Callable[[str, Callable[[float], None]], None]) -> str:
        with self._lock:
            job = Job(id=str(next(self._ids)), description=description, status=READY, add_time=self._now())
            self._jobs[job.id] = job
            if self._worker is None:
                self._worker = threading.Thread(target=self._run, name="stash-sim-jobs", daemon=True)
                self._worker.start()
            self._queue.put((job, work))
        return job.id

    def get(self, job_id: str) -> Job | None:
        return self._jobs.get(str(job_id))

    def active(self) -> list[Job]:
        """What jobQueue shows: jobs not finished yet, oldest first."""
        with self._lock:
            return [j for j in self._jobs.values() if j.status in (READY, RUNNING)]

    def wait(self, job_id: str, timeout: float | None = None) -> Job:
        with self._done:
            job = self._jobs[str(job_id)]
            if not self._done.wait_for(lambda: job.status in (FINISHED, CANCELLED), timeout):
                raise TimeoutError(f"job {job_id} still {job.status}")
            return job

    def stop(self) -> None:
        """Cancels jobs that never started and ends the worker after the current job."""
        with self._lock:
            for job in self._jobs.values():
                if job.status == READY:
                    job.status = CANCELLED
            self._done.notify_all()
        self._queue.put(None)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            job, work = item
            with self._lock:
                if job.status != READY:
                    continue
                job.status, job.start_time = RUNNING, self._now()

            def progress(value: float, job: Job = job) -> None:
                job.progress = min(1.0, max(0.0, value))

            try:
                work(job.id, progress)
            except Exception as exc:  # a failing job must not kill the worker
                job.error = str(exc)
            with self._done:
                # A plugin cannot fail its job: Stash marks plugin tasks FINISHED whatever they returned.
                job.status, job.end_time = FINISHED, self._now()
                self._done.notify_all()


def rfc3339_now() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")
