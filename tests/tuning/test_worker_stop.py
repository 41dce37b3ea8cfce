"""STOP_STREAMS: the live streams end the moment a hypercorn worker starts to stop
(quart_pizza/tuning/worker_stop.py)."""

import asyncio
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from hypercorn.asyncio import run as hypercorn_run
from hypercorn.asyncio import worker_context

from quart_pizza.tuning import worker_stop

from ..helpers import Server, csrf_from, kill_server, start_server, stop_server


@pytest.fixture
def restore_hypercorn() -> Iterator[None]:
    original = hypercorn_run.WorkerContext  # type: ignore[attr-defined]
    saved = list(worker_stop._on_stop)
    yield
    hypercorn_run.WorkerContext = original  # type: ignore[attr-defined]
    worker_stop._on_stop[:] = saved


class Streams:
    def __init__(self) -> None:
        self.closed = 0

    def close(self) -> None:
        self.closed += 1


async def test_the_worker_context_calls_back_when_it_is_told_to_stop(
    restore_hypercorn: None,
) -> None:
    streams = Streams()
    assert worker_stop.install(streams.close)
    context = hypercorn_run.WorkerContext(None)  # type: ignore[attr-defined]
    assert isinstance(context, worker_context.WorkerContext)
    assert streams.closed == 0
    await context.terminated.set()
    assert streams.closed == 1 and context.terminated.is_set()


def test_a_changed_hypercorn_is_left_alone(
    restore_hypercorn: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hypercorn_run, "WorkerContext", object)
    assert not worker_stop.install(Streams().close)
    assert getattr(hypercorn_run, "WorkerContext") is object  # noqa: B009


def open_stream(server: Server) -> tuple[httpx.Client, httpx.Response]:
    """A guest's order and its live stream, open: the client and the streaming response."""
    client = httpx.Client(base_url=server.url, timeout=30)
    token = csrf_from(client.get("/").text)
    form = {"pizza": "funghi", "size": "small", "quantity": "1", "csrf_token": token}
    assert client.post("/orders/create", data=form).status_code == 303
    [(order_id,)] = asyncio.run(server.db.query("SELECT max(id) FROM orders"))
    stream = client.send(client.build_request("GET", f"/orders/{order_id}/events"), stream=True)
    assert stream.status_code == 200
    return client, stream


@pytest.mark.server
@pytest.mark.parametrize("stop_streams", ["true", "false"])
def test_a_stop_waits_for_open_streams_only_without_it(
    tmp_path: Path, database_url: str, stop_streams: str
) -> None:
    env = {"PIZZA_TUNE_STOP_STREAMS": stop_streams}
    server = start_server(tmp_path, workers=1, env=env, database_url=database_url)
    client, stream = open_stream(server)
    try:
        chunks = stream.iter_raw()
        assert b"retry:" in next(chunks)
        assert b'"status": "placed"' in next(chunks)
        server.process.send_signal(signal.SIGTERM)
        started = time.monotonic()
        if stop_streams == "true":
            # The worker ends its stream cleanly (the chunked body is complete) and stops.
            assert b"".join(chunks) == b""
            server.process.wait(timeout=5)
            assert time.monotonic() - started < 3
        else:
            # hypercorn waits for the stream's client to leave: on uvloop (hypercorn.toml)
            # until graceful_timeout (10 s), then cuts it; on the asyncio loop, forever.
            with pytest.raises(subprocess.TimeoutExpired):
                server.process.wait(timeout=5)
    finally:
        stream.close()
        client.close()
        if server.process.poll() is None:
            kill_server(server)
        else:
            stop_server(server)
