"""A core of its own for each serving worker.

hypercorn runs one worker process per core (hypercorn.toml). Left to the kernel, a worker's
event loop and its database writer thread, which hand the GIL back and forth hundreds of times
a second, move between the cores and meet the other worker there. Instead, each worker claims
a CPU that no other worker of the same database holds and runs all its threads on it. With two
workers on two cores, orders at 64 connections went from 1735/s (p99 64 ms) to 1884/s (p99 51 ms)
(bench/, 6 rounds interleaved, medians; README tuning log).
"""

import fcntl
import os
from pathlib import Path
from typing import Final

# Linux: sched_setaffinity and /proc/self/task. Elsewhere the workers are left where they are.
SUPPORTED: Final = hasattr(os, "sched_setaffinity") and os.path.isdir("/proc/self/task")


def claim_cpu(lock_prefix: Path) -> tuple[int, int] | None:
    """Lock the first CPU of this process's set that no other process holds: (cpu, lock fd).

    The claim lasts until the fd is closed or the process ends, so the worker that replaces a
    crashed one takes over its CPU. None when every CPU is taken.
    """
    for cpu in sorted(os.sched_getaffinity(0)):
        fd = os.open(f"{lock_prefix}.cpu-{cpu}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        return cpu, fd
    return None


def pin_process(cpu: int) -> None:
    """Run every thread of this process on `cpu`; the threads it starts later inherit that."""
    for tid in os.listdir("/proc/self/task"):
        try:
            os.sched_setaffinity(int(tid), {cpu})
        except ProcessLookupError:  # the thread ended meanwhile
            pass
