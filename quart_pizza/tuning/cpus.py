"""A core of its own for each serving worker, once the workers fill the cores.

hypercorn runs one worker process per core (hypercorn.toml). Left to the kernel, a worker's
event loop and its database writer thread, which hand the GIL back and forth hundreds of times
a second, move between the cores and meet the other worker there. Instead, each worker claims
a CPU that no other worker of the same database holds, and once every CPU is claimed, runs all
its threads on its own. A worker with cores to spare stays unpinned: a lone worker pinned to
one of two cores accepted a burst of new connections far more slowly.

Placement belongs to the deployment (systemd's `CPUAffinity`, a container's cpuset), so this
is opt-in (the dedicated-host profile): it sees the affinity mask, not a CPU quota, and the
claims are per database, so two shops on one host would pin onto the same cores.
"""

import asyncio
import fcntl
import logging
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Final

log = logging.getLogger(__name__)

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


def pin_process(cpus: set[int], elsewhere: Mapping[int, set[int]] | None = None) -> None:
    """Run every thread of this process on `cpus` (the threads it starts later inherit that),
    but the threads in `elsewhere` on the CPUs given for each."""
    elsewhere = elsewhere or {}
    for tid in map(int, os.listdir("/proc/self/task")):
        try:
            os.sched_setaffinity(tid, elsewhere.get(tid, cpus))
        except ProcessLookupError:  # the thread ended meanwhile
            pass


class Pinning:
    """One worker's CPU claim, and the task that pins it while the workers fill the cores."""

    # Claiming is retried: another worker's check may hold a free CPU's lock for a moment.
    CLAIM_ATTEMPTS: Final = 5
    CHECK_SECONDS: Final = 1.0

    def __init__(self, lock_prefix: Path, keep_off_loop: Callable[[], set[int]] = set) -> None:
        """`keep_off_loop` names threads (native ids) that must not share the event loop's
        CPU, such as password hashing: they run on the other CPUs."""
        self._lock_prefix = lock_prefix
        self._keep_off_loop = keep_off_loop
        self._claim: tuple[int, int] | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        allowed = os.sched_getaffinity(0)
        for _ in range(self.CLAIM_ATTEMPTS):
            self._claim = claim_cpu(self._lock_prefix, allowed)
            if self._claim is not None:
                break
            await asyncio.sleep(0.1)
        if self._claim is None:
            log.warning("more workers than CPUs: worker %d runs on any of them", os.getpid())
            return
        self._task = asyncio.create_task(self._pin_while_full(self._claim[0], allowed))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None
        if self._claim is not None:
            os.close(self._claim[1])
            self._claim = None

    async def _pin_while_full(self, cpu: int, allowed: set[int]) -> None:
        """Run on `cpu` alone while every CPU is claimed by a worker, on all of them otherwise."""
        pinned = False
        while True:
            full = all_claimed(self._lock_prefix, allowed)
            if full != pinned:
                others = allowed - {cpu} or allowed
                elsewhere = {tid: others for tid in self._keep_off_loop()} if full else {}
                pin_process({cpu} if full else allowed, elsewhere)
                pinned = full
                state = f"pinned to CPU {cpu}" if full else "unpinned"
                log.info("worker %d %s", os.getpid(), state)
            await asyncio.sleep(self.CHECK_SECONDS)
