"""The dedicated-host profile under real hypercorn: a CPU and listening sockets per worker."""

import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from quart_pizza.tuning import PROFILES

from ..helpers import Server, start_server, stop_server

pytestmark = pytest.mark.server

DEDICATED = {"PIZZA_TUNING": "dedicated-host"}


def thread_cpus(pid: int) -> dict[int, frozenset[int]]:
    """The CPUs each thread of process `pid` may run on, by thread id."""
    return {
        int(tid): frozenset(os.sched_getaffinity(int(tid)))
        for tid in os.listdir(f"/proc/{pid}/task")
    }


CPUS = sorted(os.sched_getaffinity(0))
HASHING_THREADS = 3


def pinned_to_one(threads: dict[int, frozenset[int]], pid: int) -> bool:
    """The worker's threads run on its event loop's single CPU, but for the hashing threads,
    which run on every other CPU."""
    loop = threads[pid]
    if len(loop) != 1:
        return False
    elsewhere = [cpus for cpus in threads.values() if cpus != loop]
    return len(elsewhere) == HASHING_THREADS and all(not cpus & loop for cpus in elsewhere)


def unpinned(threads: dict[int, frozenset[int]], pid: int) -> bool:
    return set(threads.values()) == {frozenset(CPUS)}


def settled_cpus(
    server: Server, workers: int, check: Callable[[dict[int, frozenset[int]], int], bool]
) -> list[dict[int, frozenset[int]]]:
    """The CPU sets of each worker's threads, once `check` holds for each, or after 10 s."""
    deadline = time.monotonic() + 10
    while True:
        pids = server.workers()
        per_worker = [thread_cpus(pid) for pid in pids]
        done = len(pids) == workers and all(map(check, per_worker, pids))
        if done or time.monotonic() > deadline:
            return per_worker
        time.sleep(0.2)


@pytest.mark.skipif(not 2 <= len(CPUS) <= 8, reason="needs two to eight CPUs")
def test_workers_that_fill_the_cores_each_run_on_a_cpu_of_their_own(tmp_path: Path) -> None:
    env = DEDICATED | {"PIZZA_PASSWORD_HASH_THREADS": str(HASHING_THREADS)}
    server = start_server(tmp_path, workers=len(CPUS), env=env)
    try:
        pids = server.workers()
        per_worker = settled_cpus(server, len(CPUS), pinned_to_one)
    finally:
        stop_server(server)
    # All threads of a worker (event loop, writer, readers) share one CPU, and its password
    # hashing threads stay off it ...
    assert all(map(pinned_to_one, per_worker, pids))
    # ... and no two workers share one.
    assert len({threads[pid] for threads, pid in zip(per_worker, pids, strict=True)}) == len(CPUS)


@pytest.mark.skipif(len(CPUS) < 2, reason="needs two CPUs")
def test_a_worker_with_cores_to_spare_is_not_pinned(tmp_path: Path) -> None:
    server = start_server(tmp_path, workers=1, env=DEDICATED)
    try:
        time.sleep(2.5)  # more than two of its checks
        per_worker = settled_cpus(server, 1, unpinned)
    finally:
        stop_server(server)
    assert [set(threads.values()) for threads in per_worker] == [{frozenset(CPUS)}]


def listening_sockets(pid: int, port: int) -> set[str]:
    """The inodes of the sockets listening on `port` that process `pid` holds (from /proc)."""
    listening = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "0A":  # 0A: LISTEN
            listening.add(fields[9])
    links = {os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()}
    return {inode for inode in listening if f"socket:[{inode}]" in links}


def test_each_worker_listens_on_sockets_of_its_own(tmp_path: Path) -> None:
    server = start_server(tmp_path, workers=2, env=DEDICATED)
    port = server.port
    per_worker_sockets = PROFILES["dedicated-host"]["LISTENING_SOCKETS"]
    try:
        deadline = time.monotonic() + 10  # the first worker may answer before the second listens
        while True:
            per_worker = [listening_sockets(pid, port) for pid in server.workers()]
            counts = [len(inodes) for inodes in per_worker]
            if counts == [per_worker_sockets] * 2 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        # The master's socket, which the workers would otherwise share, is not listening.
        master = listening_sockets(server.process.pid, port)
    finally:
        stop_server(server)
    assert [len(inodes) for inodes in per_worker] == [per_worker_sockets] * 2
    assert not per_worker[0] & per_worker[1]
    assert master == set()
    # Each worker says so in the log: the app's INFO lines reach hypercorn's output ...
    log = server.log.read_text()
    assert log.count(f"{per_worker_sockets} sockets of its own") == 2
    # ... and hypercorn's "Running on" comes once per worker, not once per socket.
    assert log.count("Running on") == 2


def test_by_default_the_workers_share_hypercorns_socket_and_any_cpu(tmp_path: Path) -> None:
    server = start_server(tmp_path, workers=2)
    try:
        time.sleep(1.5)  # past a pinning check, were one running
        per_worker = [listening_sockets(pid, server.port) for pid in server.workers()]
        cpus = [set(thread_cpus(pid).values()) for pid in server.workers()]
    finally:
        stop_server(server)
    assert per_worker[0] == per_worker[1] and len(per_worker[0]) == 1  # the one shared socket
    assert cpus == [{frozenset(CPUS)}] * 2
