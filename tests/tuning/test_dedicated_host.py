"""The dedicated-host profile under real hypercorn: a CPU and listening sockets per worker."""

import os
import time
from pathlib import Path

import pytest

from quart_pizza.tuning import PROFILES

from ..helpers import Server, start_server, stop_server

pytestmark = pytest.mark.server

DEDICATED = {"PIZZA_TUNING": "dedicated-host"}


def thread_cpus(pid: int) -> set[frozenset[int]]:
    """The CPU sets that the threads of process `pid` may run on."""
    return {frozenset(os.sched_getaffinity(int(tid))) for tid in os.listdir(f"/proc/{pid}/task")}


CPUS = sorted(os.sched_getaffinity(0))


def settled(cpus: set[frozenset[int]], pinned: bool) -> bool:
    """All threads share one CPU set: a single CPU if `pinned`, else every CPU."""
    if len(cpus) != 1:
        return False
    (shared,) = cpus
    return len(shared) == 1 if pinned else shared == frozenset(CPUS)


def settled_cpus(server: Server, workers: int, pinned: bool) -> list[set[frozenset[int]]]:
    """The CPU sets of each worker's threads, once they are (un)pinned, or after 10 s."""
    deadline = time.monotonic() + 10
    while True:
        per_worker = [thread_cpus(pid) for pid in server.workers()]
        done = len(per_worker) == workers and all(settled(cpus, pinned) for cpus in per_worker)
        if done or time.monotonic() > deadline:
            return per_worker
        time.sleep(0.2)


@pytest.mark.skipif(not 2 <= len(CPUS) <= 8, reason="needs two to eight CPUs")
def test_workers_that_fill_the_cores_each_run_on_a_cpu_of_their_own(tmp_path: Path) -> None:
    server = start_server(tmp_path, workers=len(CPUS), env=DEDICATED)
    try:
        per_worker = settled_cpus(server, len(CPUS), pinned=True)
    finally:
        stop_server(server)
    # All threads of a worker (event loop, writer, readers) share one CPU ...
    assert all(len(cpus) == 1 and len(next(iter(cpus))) == 1 for cpus in per_worker)
    # ... and no two workers share one.
    assert len({next(iter(cpus)) for cpus in per_worker}) == len(CPUS)


@pytest.mark.skipif(len(CPUS) < 2, reason="needs two CPUs")
def test_a_worker_with_cores_to_spare_is_not_pinned(tmp_path: Path) -> None:
    server = start_server(tmp_path, workers=1, env=DEDICATED)
    try:
        time.sleep(2.5)  # more than two of its checks
        per_worker = settled_cpus(server, 1, pinned=False)
    finally:
        stop_server(server)
    assert per_worker == [{frozenset(CPUS)}]


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
        cpus = [thread_cpus(pid) for pid in server.workers()]
    finally:
        stop_server(server)
    assert per_worker[0] == per_worker[1] and len(per_worker[0]) == 1  # the one shared socket
    assert cpus == [{frozenset(CPUS)}] * 2
