"""Peak memory of the plugin's processes, watched from outside through /proc (Linux).

The drainer is spawned by a hook or a task with `start_new_session`, so neither the Stash simulator's
RUSAGE_CHILDREN nor an interpreter wrapper sees it; and the plugin must not carry benchmark hooks. Every
plugin process runs the installed `Stash2Plex.py`, whose path is unique to a benchmark run, so scanning
/proc for that path in the command line finds exactly our processes. VmHWM is the kernel's own peak-RSS
mark, so sampling only has to see a process once near its end to know its peak.
"""

from __future__ import annotations

import os
import time
from typing import Dict, Optional

from bench.ticker import Ticker

SAMPLE_S = 0.02


def _read(path: str) -> Optional[bytes]:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError:  # the process left between listing and reading
        return None


def _hwm_kb(pid: str) -> Optional[int]:
    status = _read(f"/proc/{pid}/status")
    if status is None:
        return None
    for line in status.splitlines():
        if line.startswith(b"VmHWM:"):
            return int(line.split()[1])
    return None


def plugin_pids(marker: str) -> Dict[str, str]:
    """pid -> command line of every live process whose argv contains `marker`."""
    found: Dict[str, str] = {}
    needle = marker.encode()
    own = str(os.getpid())
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or pid == own:
            continue
        cmdline = _read(f"/proc/{pid}/cmdline")
        if cmdline and needle in cmdline:
            found[pid] = cmdline.replace(b"\0", b" ").decode("utf-8", "replace")
    return found


def _cpu_ticks(pid: str) -> Optional[int]:
    """utime + stime of a process, in clock ticks (/proc/<pid>/stat fields 14 and 15)."""
    stat = _read(f"/proc/{pid}/stat")
    if not stat:
        return None
    fields = stat.rsplit(b")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


class PeakRss(Ticker):
    """Samples every plugin process in a background thread: `peak_mb` is the largest VmHWM seen, `cpu_s` the
    user+system CPU they used (each process's last sample; the few ticks after it are missed)."""

    def __init__(self, marker: str) -> None:
        self.marker = marker
        self.by_pid: Dict[str, int] = {}
        self.ticks_by_pid: Dict[str, int] = {}
        super().__init__(SAMPLE_S, self.sample, "bench-rss")

    def sample(self) -> None:
        for pid in plugin_pids(self.marker):
            hwm = _hwm_kb(pid)
            if hwm is not None and hwm > self.by_pid.get(pid, 0):
                self.by_pid[pid] = hwm
            ticks = _cpu_ticks(pid)
            if ticks is not None:
                self.ticks_by_pid[pid] = ticks

    @property
    def cpu_s(self) -> float:
        return round(sum(self.ticks_by_pid.values()) / os.sysconf("SC_CLK_TCK"), 3)

    @property
    def peak_mb(self) -> Optional[float]:
        return round(max(self.by_pid.values()) / 1024.0, 1) if self.by_pid else None

    @property
    def processes(self) -> int:
        return len(self.by_pid)


def wait_until_no_plugin_process(marker: str, timeout: float, settle_s: float = 1.0) -> bool:
    """True once no plugin process has been alive for `settle_s` (a drainer may be spawned a moment later)."""
    deadline = time.monotonic() + timeout
    quiet_since: Optional[float] = None
    while time.monotonic() < deadline:
        if plugin_pids(marker):
            quiet_since = None
        else:
            quiet_since = quiet_since or time.monotonic()
            if time.monotonic() - quiet_since >= settle_s:
                return True
        time.sleep(0.1)
    return False
