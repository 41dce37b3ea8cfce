"""The keep-alive timer that stands in for hypercorn's idle task (quart_pizza/keepalive.py)."""

import asyncio
import signal
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypercorn.asyncio import tcp_server
from hypercorn.asyncio.worker_context import AsyncioSingleTask

from quart_pizza.tuning import keepalive
from quart_pizza.tuning.keepalive import IdleTimer

from ..helpers import start_server, stop_server


class FakeContext:
    def __init__(self) -> None:
        self.terminated = asyncio.Event()


@dataclass
class FakeConnection:
    """The parts of hypercorn's TCPServer that IdleTimer uses."""

    keep_alive_timeout: float
    closed: int = 0
    config: SimpleNamespace = field(init=False)
    context: FakeContext = field(init=False)

    def __post_init__(self) -> None:
        self.config = SimpleNamespace(keep_alive_timeout=self.keep_alive_timeout)
        self.context = FakeContext()

    async def _idle_timeout(self) -> None:
        raise AssertionError("hypercorn's idle task must not run")

    async def _initiate_server_close(self) -> None:
        self.closed += 1


class Spawner:
    def __init__(self) -> None:
        self.tasks: list[asyncio.Task[None]] = []

    def spawn(self, func, *args) -> None:  # type: ignore[no-untyped-def]
        self.tasks.append(asyncio.get_running_loop().create_task(func(*args)))


async def test_an_idle_connection_is_closed_once_its_time_is_up() -> None:
    connection, spawner = FakeConnection(0.05), Spawner()
    timer = IdleTimer()
    await timer.restart(spawner, connection._idle_timeout)
    await asyncio.sleep(0.3)
    assert connection.closed == 1


async def test_a_request_stops_the_timer_and_the_next_idle_time_starts_it_anew() -> None:
    connection, spawner = FakeConnection(0.2), Spawner()
    timer = IdleTimer()
    await timer.restart(spawner, connection._idle_timeout)
    await asyncio.sleep(0.1)
    await timer.stop()  # a request arrived
    await asyncio.sleep(0.2)
    assert connection.closed == 0
    await timer.restart(spawner, connection._idle_timeout)  # its response went out
    await asyncio.sleep(0.1)
    assert connection.closed == 0  # 0.1 s idle: the earlier 0.1 s do not count
    await asyncio.sleep(0.3)
    assert connection.closed == 1


async def test_a_stopping_worker_closes_its_idle_connections_at_once() -> None:
    idle, busy, spawner = FakeConnection(60), FakeConnection(60), Spawner()
    busy.context = idle.context  # one worker
    idle_timer, busy_timer = IdleTimer(), IdleTimer()
    await idle_timer.restart(spawner, idle._idle_timeout)
    await busy_timer.restart(spawner, busy._idle_timeout)
    await busy_timer.stop()  # busy with a request
    idle.context.terminated.set()
    await asyncio.sleep(0.05)
    assert (idle.closed, busy.closed) == (1, 0)
    await busy_timer.restart(spawner, busy._idle_timeout)  # after its last response
    await asyncio.sleep(0)
    assert busy.closed == 1


def test_install_swaps_hypercorns_idle_task(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tcp_server, "AsyncioSingleTask", AsyncioSingleTask)  # undone after
    assert keepalive.install()
    assert vars(tcp_server)["AsyncioSingleTask"] is IdleTimer


def test_install_leaves_a_changed_hypercorn_alone(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(tcp_server, "AsyncioSingleTask", AsyncioSingleTask)
    monkeypatch.delattr(tcp_server.TCPServer, "_initiate_server_close")
    assert not keepalive.install()
    assert vars(tcp_server)["AsyncioSingleTask"] is AsyncioSingleTask
    assert "keep-alive" in caplog.text


def get_healthz(sock: socket.socket) -> None:
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
    answer = b""
    while b"\r\n\r\n" not in answer:
        chunk = sock.recv(4096)
        assert chunk, "the server closed a connection that was in use"
        answer += chunk
    assert answer.startswith(b"HTTP/1.1 200")
    head, _, body = answer.partition(b"\r\n\r\n")
    length = int(
        next(
            line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")
        ).split(b":")[1]
    )
    while len(body) < length:
        body += sock.recv(4096)


KEEPALIVE_TIMER = {"PIZZA_TUNE_KEEPALIVE_TIMER": "true"}


def seconds_until_closed(sock: socket.socket, limit: float) -> float:
    start = time.monotonic()
    sock.settimeout(limit)
    assert sock.recv(1) == b""  # EOF, not data
    return time.monotonic() - start


@pytest.mark.server
def test_hypercorn_closes_idle_keep_alive_connections_only(tmp_path: Path) -> None:
    server = start_server(tmp_path, 1, "--keep-alive", "1", env=KEEPALIVE_TIMER)
    host, port = server.url.removeprefix("http://").split(":")
    try:
        with socket.create_connection((host, int(port))) as busy:
            for _ in range(8):  # 2 s of requests 0.25 s apart: never idle for 1 s
                get_healthz(busy)
                time.sleep(0.25)
            assert 0.5 < seconds_until_closed(busy, limit=10) < 3
    finally:
        stop_server(server)
    assert "Traceback" not in server.log.read_text()


@pytest.mark.server
def test_stopping_hypercorn_closes_idle_connections_at_once(tmp_path: Path) -> None:
    # The keep-alive timeout (60 s) is longer than hypercorn's graceful timeout (10 s): a
    # worker that waited for its idle connections would take the whole 10 s to stop.
    server = start_server(tmp_path, 1, "--keep-alive", "60", env=KEEPALIVE_TIMER)
    process = server.process
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as idle:
        get_healthz(idle)
        start = time.monotonic()
        process.send_signal(signal.SIGINT)
        assert seconds_until_closed(idle, limit=15) < 5
        process.wait(timeout=15)
        assert time.monotonic() - start < 8
    stop_server(server)  # the workers left behind, if any
    assert "Traceback" not in server.log.read_text()
