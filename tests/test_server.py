"""End to end: real hypercorn worker processes on a fresh database file, real HTTP."""

import asyncio
import hashlib
import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from itsdangerous import URLSafeTimedSerializer

from quart_pizza.store.migrations import load_migrations

from .helpers import (
    SERVER_SECRET_KEY,
    Server,
    csrf_from,
    kill_server,
    query,
    serving,
    start_server,
    stop_server,
)

pytestmark = pytest.mark.server


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    yield from serving(tmp_path, workers=2)


def order_id_in(cookie: str) -> int:
    """The order id the shop put in the (signed, readable) session cookie."""
    serializer = URLSafeTimedSerializer(
        SERVER_SECRET_KEY,
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
            response = await client.post("/register", data=form)
            while response.status_code == 503:  # every hashing thread busy: retry, as told
                await asyncio.sleep(float(response.headers["Retry-After"]) / 10)
                response = await client.post("/register", data=form)
            assert response.status_code == 303
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
    server = start_server(tmp_path, workers=2)
    try:
        acknowledged = await customer(server.url, 0, 5)
    finally:
        kill_server(server)  # a crash: every acknowledged order must already be on disk
    server = start_server(tmp_path, workers=2)
    try:
        rows = await query(server.database, "SELECT id FROM orders ORDER BY id")
        assert [row[0] for row in rows] == sorted(order for order, _ in acknowledged)
    finally:
        stop_server(server)


def test_four_workers_start_together_on_a_new_file(tmp_path: Path) -> None:
    server = start_server(tmp_path, workers=4)
    try:
        for _ in range(8):
            assert httpx.get(f"{server.url}/healthz").json()["migrations"] == len(load_migrations())
    finally:
        stop_server(server)
    assert "Traceback" not in server.log.read_text()


async def orders_until_refused(url: str, number: int, acknowledged: list[int]) -> None:
    """A customer ordering as fast as answers come, until the server goes away."""
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        try:
            token = csrf_from((await client.get("/")).text)
            form = {"pizza": "funghi", "size": "small", "quantity": "1", "csrf_token": token}
            while True:
                response = await client.post("/orders/create", data=form)
                if response.status_code != 303:
                    return  # a 503 while stopping: not acknowledged
                acknowledged.append(order_id_in(response.cookies["pizza_session"]))
        except httpx.HTTPError:
            return  # the connection was closed or reset: not acknowledged either


async def test_sigterm_during_a_burst_leaves_no_order_half_stored(tmp_path: Path) -> None:
    server = start_server(tmp_path, workers=2)
    acknowledged: list[int] = []
    customers = [
        asyncio.create_task(orders_until_refused(server.url, n, acknowledged)) for n in range(16)
    ]
    await asyncio.sleep(1.5)
    assert acknowledged, "no order was taken before the signal"
    server.process.send_signal(signal.SIGTERM)
    await asyncio.wait_for(asyncio.gather(*customers), 30)
    try:
        server.process.wait(timeout=30)
    finally:
        kill_server(server)  # whatever hypercorn left behind
    # Every acknowledged order is stored once, whole; any other order stored is whole too.
    rows = await query(
        server.database,
        """SELECT orders.id, count(order_items.id) FROM orders
             LEFT JOIN order_items ON order_items.order_id = orders.id GROUP BY orders.id""",
    )
    stored = dict(rows)
    assert all(items == 1 for items in stored.values())
    assert len(acknowledged) == len(set(acknowledged))
    assert set(acknowledged) <= set(stored)
    assert await query(server.database, "PRAGMA integrity_check") == [("ok",)]
