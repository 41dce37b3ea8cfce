"""Live updates under real hypercorn with two workers: a change made through one worker
reaches a stream held by the other within a second; a stream outlives the old 30 s read
timeout; slow request heads are still cut. (Stopping the server ends the streams at once:
tests/tuning/test_worker_stop.py, with the STOP_STREAMS part and without it.)"""

import asyncio
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .helpers import Server, csrf_from, serving

pytestmark = pytest.mark.server


@pytest.fixture
def server(tmp_path: Path, database_url: str) -> Iterator[Server]:
    env = {"PIZZA_LIVE_POLL_SECONDS": "0.1"}
    yield from serving(tmp_path, workers=2, env=env, database_url=database_url)


def worker_of(server: Server, client_port: int) -> int:
    """The worker process holding the server's end of the connection from `client_port`."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote = fields[1], fields[2]
        if (
            int(local.rsplit(":", 1)[1], 16) == server.port
            and int(remote.rsplit(":", 1)[1], 16) == client_port
        ):
            inodes.add(fields[9])
    for pid in server.workers():
        links = {os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()}
        if any(f"socket:[{inode}]" in links for inode in inodes):
            return pid
    raise AssertionError(f"no worker holds the connection from port {client_port}")


class Browser:
    """A client with its own cookies, talking raw HTTP/1.1 over connections it controls."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.cookies = ""

    async def connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, int]:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.server.port)
        return reader, writer, writer.get_extra_info("sockname")[1]

    async def connection_on(
        self, worker: int, other: bool
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """A new connection held by `worker` (or, with `other`, by another worker)."""
        for _ in range(200):
            reader, writer, port = await self.connect()
            await asyncio.sleep(0.02)  # accepted by now
            if (worker_of(self.server, port) == worker) != other:
                return reader, writer
            writer.close()
        raise AssertionError("the kernel never gave a connection to the wanted worker")


async def sse_lines(reader: asyncio.StreamReader, seconds: float) -> list[str]:
    """The stream's lines that arrive within `seconds`."""
    lines: list[str] = []
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            line = await asyncio.wait_for(reader.readline(), left)
        except TimeoutError:
            break
        if not line:
            break
        lines.append(line.decode().rstrip("\r\n"))
    return lines


async def next_event(reader: asyncio.StreamReader, seconds: float) -> list[str]:
    """The lines of the stream's next event (comments skipped), within `seconds` or fail."""
    lines: list[str] = []
    async with asyncio.timeout(seconds):
        while True:
            line = (await reader.readline()).decode().rstrip("\r\n")
            if line and not line.startswith(":"):
                lines.append(line)
            elif not line and any(each.startswith("data: ") for each in lines):
                return lines


async def open_sse(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, path: str,
                   cookie: str) -> None:  # fmt: skip
    writer.write(f"GET {path} HTTP/1.1\r\nHost: shop\r\nCookie: {cookie}\r\n\r\n".encode())
    await writer.drain()
    status = await reader.readline()
    assert status.startswith(b"HTTP/1.1 200"), status
    while (await reader.readline()) not in (b"\r\n", b""):
        pass  # the headers


def cookie_and_token(server: Server, username: str | None = None) -> tuple[str, str]:
    with httpx.Client(base_url=server.url) as client:
        if username is not None:
            token = csrf_from(client.get("/register").text)
            form = {"username": username, "password": "pepperoni4ever", "csrf_token": token}
            assert client.post("/register", data=form).status_code == 303
        token = csrf_from(client.get("/").text)
        return f"pizza_session={client.cookies['pizza_session']}", token


async def post(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, path: str,
               cookie: str, body: str) -> int:  # fmt: skip
    writer.write(
        (f"POST {path} HTTP/1.1\r\nHost: shop\r\nCookie: {cookie}\r\nContent-Type: "
         f"application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n\r\n{body}").encode()
    )  # fmt: skip
    await writer.drain()
    status = int((await reader.readline()).split()[1])
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    await reader.readexactly(length)
    return status


async def place_order(server: Server, cookie: str, token: str) -> int:
    cookies = {"pizza_session": cookie.split("=", 1)[1]}
    async with httpx.AsyncClient(base_url=server.url, cookies=cookies) as client:
        form = {"pizza": "funghi", "size": "small", "quantity": "1", "csrf_token": token}
        assert (await client.post("/orders/create", data=form)).status_code == 303
    rows = await server.db.query("SELECT max(id) FROM orders")
    return int(rows[0][0])


async def test_a_change_on_one_worker_reaches_a_stream_on_the_other(server: Server) -> None:
    customer_cookie, customer_token = cookie_and_token(server)
    order_id = await place_order(server, customer_cookie, customer_token)
    staff_cookie, staff_token = cookie_and_token(server, "chef")
    await server.db.make_staff("chef")
    browser = Browser(server)
    reader, writer, port = await browser.connect()
    writers = [writer]
    try:
        await open_sse(reader, writer, f"/orders/{order_id}/events", customer_cookie)
        stream_worker = worker_of(server, port)
        first = await next_event(reader, 5)
        assert f'data: {{"order_id": {order_id}, "status": "placed"' in "\n".join(first)
        kitchen_reader, kitchen_writer = await browser.connection_on(stream_worker, other=False)
        writers.append(kitchen_writer)
        await open_sse(kitchen_reader, kitchen_writer, "/kitchen/events", staff_cookie)
        # The staff's move goes through the other worker.
        staff_reader, staff_writer = await browser.connection_on(stream_worker, other=True)
        writers.append(staff_writer)
        started = time.monotonic()
        status = await post(staff_reader, staff_writer, f"/kitchen/orders/{order_id}/status",
                            staff_cookie, f"status=preparing&csrf_token={staff_token}")  # fmt: skip
        assert status == 303
        lines = await next_event(reader, 1.0)  # within a second of the request, or fail
        assert "event: status" in lines
        data = json.loads(next(line for line in lines if line.startswith("data: "))[6:])
        assert data == {"order_id": order_id, "status": "preparing", "at": data["at"]}
        assert time.monotonic() - started < 1.0
        # The kitchen's stream on the first worker had it too, then a new order placed
        # through any worker reaches it.
        assert '"status": "preparing"' in "\n".join(await next_event(kitchen_reader, 1.0))
        new_order = await place_order(server, customer_cookie, customer_token)
        kitchen = "\n".join(await next_event(kitchen_reader, 1.0))
        assert "event: order" in kitchen
        assert f'"order_id": {new_order}, "status": "placed"' in kitchen
    finally:
        for each in writers:
            each.close()


async def test_a_stream_outlives_the_old_read_timeout(server: Server) -> None:
    # hypercorn.toml used to set read_timeout = 30, which cut every stream whose browser sent
    # nothing for 30 s. It sets none now: the stream stays, with a heartbeat every 15 s.
    cookie, token = cookie_and_token(server)
    order_id = await place_order(server, cookie, token)
    reader, writer, _ = await Browser(server).connect()
    await open_sse(reader, writer, f"/orders/{order_id}/events", cookie)
    lines = await sse_lines(reader, 33)
    assert lines.count(": keep-alive") >= 2
    assert not reader.at_eof()
    writer.close()


async def test_a_slow_request_head_is_still_cut(server: Server) -> None:
    reader, writer, _ = await Browser(server).connect()
    started = time.monotonic()
    head = b"GET / HTTP/1.1\r\nHost: shop\r\nX-Slow: " + b"a" * 30
    closed_after = None
    for byte in head:
        writer.write(bytes([byte]))
        await writer.drain()
        try:
            if await asyncio.wait_for(reader.read(1), 0.5) == b"":
                closed_after = time.monotonic() - started
                break
        except TimeoutError:
            continue
        except ConnectionError:
            closed_after = time.monotonic() - started
            break
    writer.close()
    assert closed_after is not None and closed_after < 12  # keep_alive_timeout is 5 s
