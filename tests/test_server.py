"""End to end: real hypercorn worker processes on a fresh database file, real HTTP."""

import asyncio
import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from itsdangerous import URLSafeTimedSerializer

from quart_pizza.config import DEFAULTS
from quart_pizza.migrations import load_migrations

from .conftest import csrf_from, query

pytestmark = pytest.mark.server

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SECRET_KEY = "end-to-end secret"


@dataclass
class Server:
    url: str
    database: Path
    log: Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_server(
    tmp_path: Path, workers: int, *options: str
) -> tuple[subprocess.Popen[bytes], Server]:
    """hypercorn as configured by hypercorn.toml, with `options` added to its command line."""
    port = free_port()
    database = tmp_path / "e2e.sqlite3"
    log = tmp_path / "hypercorn.log"
    env = os.environ | {
        "PIZZA_DATABASE_URL": f"sqlite:///{database}",
        "PIZZA_SECRET_KEY": SECRET_KEY,
        "PIZZA_INSTANCE_PATH": str(tmp_path / "instance"),
        "PIZZA_PASSWORD_HASH_TIME_COST": "1",
        "PIZZA_PASSWORD_HASH_MEMORY_KIB": "64",
        "PIZZA_PASSWORD_HASH_PARALLELISM": "1",
    }
    command = [
        sys.executable,
        "-m",
        "hypercorn",
        "-c",
        "hypercorn.toml",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        *options,
        "quart_pizza:create_app()",
    ]
    with log.open("wb") as output:
        process = subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so the workers can be killed too
        )
    server = Server(f"http://127.0.0.1:{port}", database, log)
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{server.url}/healthz", timeout=2).status_code == 200:
                return process, server
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            kill_server(process)
            raise RuntimeError(f"hypercorn did not start:\n{log.read_text()}")
        time.sleep(0.1)


def kill_server(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL the master and every worker: a crash, with no chance to clean up."""
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def stop_server(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        kill_server(process)
        return
    try:  # workers left behind would hold the port and the database
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    process, server = start_server(tmp_path, workers=2)
    yield server
    stop_server(process)
    assert "Traceback" not in server.log.read_text()


def order_id_in(cookie: str) -> int:
    """The order id the shop put in the (signed, readable) session cookie."""
    serializer = URLSafeTimedSerializer(
        SECRET_KEY,
        salt="cookie-session",
        signer_kwargs={"key_derivation": "hmac", "digest_method": hashlib.sha1},
    )
    order_id: int = serializer.loads(cookie)["order_id"]
    return order_id


async def customer(url: str, number: int, orders: int) -> list[tuple[int, int]]:
    """One browser-like client: its own cookie jar; returns (order id, quantity) per 303."""
    acknowledged = []
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        if number % 2:  # half of the customers have an account
            token = csrf_from((await client.get("/register")).text)
            form = {"username": f"user{number}", "password": "pepperoni4ever", "csrf_token": token}
            assert (await client.post("/register", data=form)).status_code == 303
        token = csrf_from((await client.get("/")).text)
        for i in range(orders):
            quantity = 1 + (number + i) % 20
            form = {
                "pizza": "pepperoni",
                "size": "large",
                "quantity": str(quantity),
                "csrf_token": token,
            }
            response = await client.post("/orders/create", data=form)
            assert response.status_code == 303, response.text
            acknowledged.append((order_id_in(response.cookies["pizza_session"]), quantity))
    return acknowledged


async def test_concurrent_orders_through_two_workers_are_stored_once(server: Server) -> None:
    results = await asyncio.gather(*(customer(server.url, n, 10) for n in range(24)))
    acknowledged = [ack for result in results for ack in result]
    assert len(acknowledged) == 240
    rows = await query(
        server.database,
        """SELECT orders.id, order_items.quantity FROM orders
             JOIN order_items ON order_items.order_id = orders.id""",
    )
    assert len(rows) == len(set(row[0] for row in rows))  # one item per order
    assert sorted(rows) == sorted(acknowledged)
    assert await query(server.database, "PRAGMA integrity_check") == [("ok",)]


async def test_orders_survive_a_restart(tmp_path: Path) -> None:
    process, server = start_server(tmp_path, workers=2)
    try:
        acknowledged = await customer(server.url, 0, 5)
    finally:
        kill_server(process)  # a crash: every acknowledged order must already be on disk
    process, server = start_server(tmp_path, workers=2)
    try:
        rows = await query(server.database, "SELECT id FROM orders ORDER BY id")
        assert [row[0] for row in rows] == sorted(order for order, _ in acknowledged)
    finally:
        stop_server(process)


def test_four_workers_start_together_on_a_new_file(tmp_path: Path) -> None:
    process, server = start_server(tmp_path, workers=4)
    try:
        for _ in range(8):
            assert httpx.get(f"{server.url}/healthz").json()["migrations"] == len(load_migrations())
    finally:
        stop_server(process)
    assert "Traceback" not in server.log.read_text()


def worker_pids(master: int) -> list[int]:
    """hypercorn's worker processes (multiprocessing's resource tracker is a child too)."""
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [
        int(pid) for pid in children if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    ]


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


def settled_cpus(master: int, workers: int, pinned: bool) -> list[set[frozenset[int]]]:
    """The CPU sets of each worker's threads, once they are (un)pinned, or after 10 s."""
    deadline = time.monotonic() + 10
    while True:
        per_worker = [thread_cpus(pid) for pid in worker_pids(master)]
        done = len(per_worker) == workers and all(settled(cpus, pinned) for cpus in per_worker)
        if done or time.monotonic() > deadline:
            return per_worker
        time.sleep(0.2)


@pytest.mark.skipif(not 2 <= len(CPUS) <= 8, reason="needs two to eight CPUs")
def test_workers_that_fill_the_cores_each_run_on_a_cpu_of_their_own(tmp_path: Path) -> None:
    process, _ = start_server(tmp_path, workers=len(CPUS))
    try:
        per_worker = settled_cpus(process.pid, len(CPUS), pinned=True)
    finally:
        stop_server(process)
    # All threads of a worker (event loop, writer, readers) share one CPU ...
    assert all(len(cpus) == 1 and len(next(iter(cpus))) == 1 for cpus in per_worker)
    # ... and no two workers share one.
    assert len({next(iter(cpus)) for cpus in per_worker}) == len(CPUS)


@pytest.mark.skipif(len(CPUS) < 2, reason="needs two CPUs")
def test_a_worker_with_cores_to_spare_is_not_pinned(tmp_path: Path) -> None:
    process, _ = start_server(tmp_path, workers=1)
    try:
        time.sleep(2.5)  # more than two of its checks
        per_worker = settled_cpus(process.pid, 1, pinned=False)
    finally:
        stop_server(process)
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
    process, server = start_server(tmp_path, workers=2)
    port = int(server.url.rsplit(":", 1)[1])
    per_worker_sockets = DEFAULTS["LISTENING_SOCKETS_PER_WORKER"]
    try:
        deadline = time.monotonic() + 10  # the first worker may answer before the second listens
        while True:
            per_worker = [listening_sockets(pid, port) for pid in worker_pids(process.pid)]
            counts = [len(inodes) for inodes in per_worker]
            if counts == [per_worker_sockets] * 2 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        # The master's socket, which the workers would otherwise share, is not listening.
        master = listening_sockets(process.pid, port)
    finally:
        stop_server(process)
    assert [len(inodes) for inodes in per_worker] == [per_worker_sockets] * 2
    assert not per_worker[0] & per_worker[1]
    assert master == set()
    # Each worker says so in the log: the app's INFO lines reach hypercorn's output ...
    log = server.log.read_text()
    assert log.count(f"{per_worker_sockets} sockets of its own") == 2
    # ... and hypercorn's "Running on" comes once per worker, not once per socket.
    assert log.count("Running on") == 2
