"""Process settings for a serving worker, each measured with the benchmark (bench/)."""

import asyncio
import gc
import logging
import os
import sys
from pathlib import Path

from quart import Quart

from . import cpus, keepalive, listeners

log = logging.getLogger(__name__)

# Claiming a CPU is retried: another worker's check may hold a free CPU's lock for a moment.
CLAIM_ATTEMPTS = 5
PIN_CHECK_SECONDS = 1.0  # how often a worker checks whether the workers fill the cores


def init_app(app: Quart, database: Path) -> None:
    """Tune the worker once it has started (not in tests' or the CLI's process).

    Registered after the database's `before_serving`, so that its threads exist when the worker
    is pinned to a CPU; the CPU locks live next to the `database` file.
    """
    cpu_claim: tuple[int, int] | None = None
    pinning: asyncio.Task[None] | None = None

    @app.before_serving
    async def tune_worker() -> None:
        nonlocal cpu_claim, pinning
        if not app.config["TUNE_INTERPRETER"]:
            return
        # A thread waiting for the GIL gets it after the switch interval (5 ms by default). The
        # database writer thread takes the GIL back after every SQLite call; against a busy
        # event loop each batch then held the write lock for milliseconds per job. 0.2 ms cut
        # the median hold of a batch from 3-5 ms to 1.3-1.5 ms at 256 connections. Since the
        # writer runs on its worker's own CPU (below), each forced switch is a context switch
        # on that CPU: 1 ms took 4-10% more orders/s than 0.2 ms (README, tuning log).
        sys.setswitchinterval(app.config["GIL_SWITCH_INTERVAL"])
        # Everything alive after start-up (modules, app, templates) lives as long as the
        # worker: freeze it out of the collector's way, and collect the young generation less
        # often. p99 at 64 connections went from 91-92 ms to 58-63 ms (quick bench, 2 runs).
        gc.freeze()
        gc.set_threshold(app.config["GC_GEN0_THRESHOLD"], 20, 100)
        if app.config["IDLE_TIMER_HANDLES"]:
            keepalive.install()
        per_socket = app.config["LISTENING_SOCKETS_PER_WORKER"]
        sockets = listeners.inherited_sockets()
        if per_socket and listeners.SUPPORTED and sockets is not None:
            for address in listeners.own_listening_sockets(sockets, per_socket):
                log.info("worker %d: %d sockets of its own on %s", os.getpid(), per_socket, address)
        if app.config["PIN_WORKERS_TO_CPUS"] and cpus.SUPPORTED:
            allowed = os.sched_getaffinity(0)
            for _ in range(CLAIM_ATTEMPTS):
                cpu_claim = cpus.claim_cpu(database, allowed)
                if cpu_claim is not None:
                    break
                await asyncio.sleep(0.1)
            if cpu_claim is None:
                log.warning("more workers than CPUs: worker %d runs on any of them", os.getpid())
            else:
                pinning = asyncio.create_task(pin_when_cores_fill(database, cpu_claim[0], allowed))

    @app.after_serving
    async def release_cpu() -> None:
        nonlocal cpu_claim, pinning
        if pinning is not None:
            pinning.cancel()
            pinning = None
        if cpu_claim is not None:
            os.close(cpu_claim[1])
            cpu_claim = None


async def pin_when_cores_fill(database: Path, cpu: int, allowed: set[int]) -> None:
    """Run on `cpu` alone while every CPU is claimed by a worker, on all of them otherwise.

    A worker with cores to spare stays free to use them: a lone worker pinned to one of two
    cores accepted a burst of new connections far more slowly (README, tuning log).
    """
    pinned = False
    while True:
        full = cpus.all_claimed(database, allowed)
        if full != pinned:
            cpus.pin_process({cpu} if full else allowed)
            pinned = full
            log.info("worker %d %s", os.getpid(), f"pinned to CPU {cpu}" if full else "unpinned")
        await asyncio.sleep(PIN_CHECK_SECONDS)
