"""A core of its own for each serving worker, once the workers fill the cores.

hypercorn runs one worker process per core (hypercorn.toml). Left to the kernel, a worker's
event loop and its database writer thread, which hand the GIL back and forth hundreds of times
a second, move between the cores and meet the other worker there. Instead, each worker claims
a CPU that no other worker of the same database holds, and once every CPU is claimed, runs all
its threads on its own. With two workers on two cores, orders at 64 connections went from
1735/s (p99 64 ms) to 1884/s (p99 51 ms) (bench/, 6 rounds interleaved, medians; README
tuning log). A worker with cores to spare stays unpinned: a lone worker pinned to one of two
cores accepted a burst of new connections far more slowly.
"""

import fcntl
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Final

# Linux: sched_setaffinity and /proc/self/task. Elsewhere the workers are left where they are.
SUPPORTED: Final = hasattr(os, "sched_setaffinity") and os.path.isdir("/proc/self/task")


def _try_lock(lock_prefix: Path, cpu: int) -> int | None:
    """An fd holding the lock of `cpu`, or None if another holder has it (never waits)."""
    fd = os.open(f"{lock_prefix}.cpu-{cpu}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def claim_cpu(lock_prefix: Path, cpus: Iterable[int]) -> tuple[int, int] | None:
    """Lock the first of `cpus` that no other process holds: (cpu, lock fd).

    The claim lasts until the fd is closed or the process ends, so the worker that replaces a
    crashed one takes over its CPU. None when every CPU is taken.
    """
    for cpu in sorted(cpus):
        fd = _try_lock(lock_prefix, cpu)
        if fd is not None:
            return cpu, fd
    return None


def all_claimed(lock_prefix: Path, cpus: Iterable[int]) -> bool:
    """True if every one of `cpus` is claimed (this process's own claim included: a second
    lock of the same file fails too)."""
    for cpu in cpus:
        fd = _try_lock(lock_prefix, cpu)
        if fd is not None:
            os.close(fd)  # a free CPU: let go of it at once
            return False
    return True


def pin_process(cpus: set[int]) -> None:
    """Run every thread of this process on `cpus`; the threads it starts later inherit that."""
    for tid in os.listdir("/proc/self/task"):
        try:
            os.sched_setaffinity(int(tid), cpus)
        except ProcessLookupError:  # the thread ended meanwhile
            pass
