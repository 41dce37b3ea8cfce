"""End to end: real hypercorn worker processes on a fresh database, real HTTP."""

import asyncio
import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from quart_pizza.store.migrations import load_migrations

from .database import Database
from .helpers import (
    Server,
    csrf_from,
    kill_server,
    order_id_in,
    serving,
    start_server,
    stop_server,
)

pytestmark = pytest.mark.server


@pytest.fixture
def server(tmp_path: Path, database_url: str) -> Iterator[Server]:
    yield from serving(tmp_path, workers=2, database_url=database_url)


async def assert_intact(db: Database) -> None:
    """SQLite's own check of the file (PostgreSQL's pages have no such check built in)."""
    if db.backend == "sqlite":
        assert await db.query("PRAGMA integrity_check") == [("ok",)]


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
    rows = await server.db.query(
        """SELECT orders.id, order_items.quantity FROM orders
             JOIN order_items ON order_items.order_id = orders.id"""
    )
    assert len(rows) == len(set(row[0] for row in rows))  # one item per order
    assert sorted(rows) == sorted(acknowledged)
    await assert_intact(server.db)


async def test_orders_survive_a_restart(tmp_path: Path, database_url: str) -> None:
    server = start_server(tmp_path, workers=2, database_url=database_url)
    try:
        acknowledged = await customer(server.url, 0, 5)
    finally:
        kill_server(server)  # a crash: every acknowledged order must already be stored
    server = start_server(tmp_path, workers=2, database_url=database_url)
    try:
        rows = await server.db.query("SELECT id FROM orders ORDER BY id")
        assert [row[0] for row in rows] == sorted(order for order, _ in acknowledged)
    finally:
        stop_server(server)


def test_four_workers_start_together_on_a_new_database(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    # A new SQLite file, or an empty PostgreSQL database: no copy of the migrated template.
    new_database = request.getfixturevalue("postgres_database") if backend == "postgres" else None
    server = start_server(tmp_path, workers=4, database_url=new_database)
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


async def test_sigterm_during_a_burst_leaves_no_order_half_stored(
    tmp_path: Path, database_url: str
) -> None:
    server = start_server(tmp_path, workers=2, database_url=database_url)
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
    rows = await server.db.query(
        """SELECT orders.id, count(order_items.id) FROM orders
             LEFT JOIN order_items ON order_items.order_id = orders.id GROUP BY orders.id"""
    )
    stored = {order_id: items for order_id, items in rows}
    assert all(items == 1 for items in stored.values())
    assert len(acknowledged) == len(set(acknowledged))
    assert set(acknowledged) <= set(stored)
    await assert_intact(server.db)
