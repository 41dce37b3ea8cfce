"""Two hosts, one PostgreSQL database: two separate hypercorn instances (own ports, own instance
folders, two workers each, the same secret key) that start together on a new, empty database
and migrate it between them. A session made on one host works on the other; what one host
stores and moves, the other shows at once, live streams included; and a host killed during a
burst of orders loses none it acknowledged while the other keeps serving."""

import asyncio
import itertools
import json
import re
import time
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from quart_pizza.store.migrations import load_migrations
from quart_pizza.store.postgres.migrate import postgres_migrations_dir

from .helpers import (
    SERVER_SECRET_KEY,
    Server,
    csrf_from,
    kill_server,
    order_id_in,
    start_server,
    stop_server,
)

pytestmark = pytest.mark.server

PASSWORD = "pepperoni4ever"


def start_host(folder: Path, database_url: str) -> Server:
    """One host: its own folder (log, instance folder with its own files), the shared database
    and the shared key (without it each instance folder would make a key of its own)."""
    folder.mkdir()
    env = {"PIZZA_INSTANCE_PATH": str(folder / "instance"), "PIZZA_SECRET_KEY": SERVER_SECRET_KEY}
    return start_server(folder, 2, env=env, database_url=database_url)


@pytest.fixture
def hosts(tmp_path: Path, postgres_database: str) -> Iterator[tuple[Server, Server]]:
    """Hosts A and B, started at the same moment on the test's new database."""
    with ThreadPoolExecutor(2) as pool:
        starting = [
            pool.submit(start_host, tmp_path / name, postgres_database) for name in ("a", "b")
        ]
    started = [future.result() for future in starting if future.exception() is None]
    if len(started) < 2:
        for server in started:
            stop_server(server)
        raise next(error for future in starting if (error := future.exception()) is not None)
    a, b = started
    yield a, b
    for server in started:
        stop_server(server)
    for server in started:
        assert "Traceback" not in server.log.read_text(), server.log


async def register(client: httpx.AsyncClient, username: str) -> None:
    token = csrf_from((await client.get("/register")).text)
    form = {"username": username, "password": PASSWORD, "csrf_token": token}
    response = await client.post("/register", data=form)
    assert response.status_code == 303, response.text


async def place_order(client: httpx.AsyncClient, quantity: int = 2) -> int:
    token = csrf_from((await client.get("/")).text)
    form = {"pizza": "margherita", "size": "medium", "quantity": str(quantity), "csrf_token": token}
    response = await client.post("/orders/create", data=form)
    assert response.status_code == 303, response.text
    assert response.headers["Location"] == "/success"
    return order_id_in(response.cookies["pizza_session"])


async def dashboard_status(client: httpx.AsyncClient, order_id: int) -> str | None:
    """The status the customer's dashboard shows for the order; None if it is not listed."""
    response = await client.get("/dashboard")
    assert response.status_code == 200, response.text
    row = re.search(
        rf'<a href="/orders/{order_id}">#{order_id}</a>.*?data-status="(\w+)"',
        response.text,
        re.DOTALL,
    )
    return None if row is None else row.group(1)


async def next_event(lines: AsyncIterator[str], seconds: float) -> dict[str, Any]:
    """The data of the stream's next event (comments and fields but `data` skipped), within
    `seconds` or fail."""
    async with asyncio.timeout(seconds):
        async for line in lines:
            if line.startswith("data: "):
                data: dict[str, Any] = json.loads(line.removeprefix("data: "))
                return data
    raise AssertionError("the stream ended")


async def test_a_session_orders_and_moves_cross_between_hosts(
    hosts: tuple[Server, Server],
) -> None:
    a, b = hosts
    migrations = len(load_migrations(postgres_migrations_dir()))
    async with (
        httpx.AsyncClient(base_url=a.url, timeout=30) as customer_a,
        httpx.AsyncClient(base_url=b.url, timeout=30) as stranger_b,
        httpx.AsyncClient(base_url=b.url, timeout=30) as staff_b,
    ):
        for client in (customer_a, stranger_b):  # both found the schema whole
            health = (await client.get("/healthz")).json()
            assert health == {"status": "ok", "migrations": migrations}
        await register(customer_a, "alice")
        order_id = await place_order(customer_a)
        # The cookie A signed, as it was before the order: B must find the order in the
        # database, not in the cookie.
        cookies = {"pizza_session": customer_a.cookies["pizza_session"]}
        async with httpx.AsyncClient(base_url=b.url, cookies=cookies, timeout=30) as customer_b:
            response = await customer_b.get("/dashboard")
            assert response.status_code == 200
            assert "Hello, alice" in response.text
            assert await dashboard_status(customer_b, order_id) == "placed"
            # Without the cookie B knows nobody.
            response = await stranger_b.get("/dashboard")
            assert (response.status_code, response.headers["Location"]) == (
                303,
                "/login?next=/dashboard",
            )

            await register(staff_b, "chef")
            await b.db.make_staff("chef")
            staff_token = csrf_from((await staff_b.get("/")).text)

            async with customer_a.stream("GET", f"/orders/{order_id}/events") as stream:
                assert stream.status_code == 200
                lines = stream.aiter_lines()
                first = await next_event(lines, 10)
                assert (first["order_id"], first["status"]) == (order_id, "placed")
                started = time.monotonic()
                response = await staff_b.post(
                    f"/kitchen/orders/{order_id}/status",
                    data={"status": "preparing", "csrf_token": staff_token},
                )
                assert response.status_code == 303, response.text
                moved = await next_event(lines, 1.0)  # within a second of the request, or fail
                assert time.monotonic() - started < 1.0
                assert (moved["order_id"], moved["status"]) == (order_id, "preparing")

            assert await dashboard_status(customer_b, order_id) == "preparing"
        assert await dashboard_status(customer_a, order_id) == "preparing"


class Tally:
    """What the clients of a burst were told, and when."""

    def __init__(self) -> None:
        self.acknowledged: list[tuple[int, int]] = []  # (order id, quantity) per 303
        self.answered: list[float] = []  # when each acknowledgement or healthy answer came
        self.failures: list[str] = []


async def orders_until_refused(url: str, number: int, tally: Tally) -> None:
    """A guest ordering as fast as answers come, until the host goes away."""
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        try:
            token = csrf_from((await client.get("/")).text)
            for i in itertools.count():
                quantity = 1 + (number + i) % 20
                form = {"pizza": "funghi", "size": "small", "quantity": str(quantity),
                        "csrf_token": token}  # fmt: skip
                response = await client.post("/orders/create", data=form)
                if response.status_code != 303:
                    return  # not acknowledged
                tally.acknowledged.append(
                    (order_id_in(response.cookies["pizza_session"]), quantity)
                )
        except httpx.HTTPError:
            return  # the connection was refused, closed or reset: not acknowledged either


async def orders_until_stopped(url: str, number: int, stop: asyncio.Event, tally: Tally) -> None:
    """A guest ordering as fast as answers come; every order must be acknowledged."""
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        token = csrf_from((await client.get("/")).text)
        i = 0
        while not stop.is_set():
            quantity = 1 + (number + i) % 20
            i += 1
            form = {"pizza": "diavola", "size": "large", "quantity": str(quantity),
                    "csrf_token": token}  # fmt: skip
            try:
                response = await client.post("/orders/create", data=form)
            except httpx.HTTPError as error:
                tally.failures.append(f"order: {error!r}")
                continue
            if response.status_code != 303:
                tally.failures.append(f"order: {response.status_code} {response.text[:200]}")
                continue
            tally.acknowledged.append((order_id_in(response.cookies["pizza_session"]), quantity))
            tally.answered.append(time.monotonic())


async def health_until_stopped(url: str, stop: asyncio.Event, tally: Tally) -> None:
    """A load balancer's monitor: /healthz twenty times a second, each answer a 200."""
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        while not stop.is_set():
            try:
                response = await client.get("/healthz")
            except httpx.HTTPError as error:
                tally.failures.append(f"healthz: {error!r}")
            else:
                if response.status_code == 200:
                    tally.answered.append(time.monotonic())
                else:
                    tally.failures.append(f"healthz: {response.status_code} {response.text}")
            await asyncio.sleep(0.05)


async def until(condition: Callable[[], bool], seconds: float = 60) -> None:
    """Wait for `condition`, checked every 50 ms; fail after `seconds`."""
    async with asyncio.timeout(seconds):
        while not condition():
            await asyncio.sleep(0.05)


async def test_a_host_killed_during_a_burst_loses_no_acknowledged_order(
    hosts: tuple[Server, Server],
) -> None:
    a, b = hosts
    on_a, on_b, health_b = Tally(), Tally(), Tally()
    stop = asyncio.Event()
    customers_a = [asyncio.create_task(orders_until_refused(a.url, n, on_a)) for n in range(12)]
    serving_b = [
        *(asyncio.create_task(orders_until_stopped(b.url, n, stop, on_b)) for n in range(4)),
        asyncio.create_task(health_until_stopped(b.url, stop, health_b)),
    ]
    try:
        # Well into the burst on both hosts (however slow this machine is today) ...
        await until(lambda: len(on_a.acknowledged) >= 100 and len(on_b.acknowledged) >= 20)
        assert not any(customer.done() for customer in customers_a), "a customer of A gave up"
        await asyncio.to_thread(kill_server, a)  # SIGKILL to A's master and workers at once
        killed = time.monotonic()
        await asyncio.wait_for(asyncio.gather(*customers_a), 60)
        # ... and B goes on serving after the kill.
        await until(
            lambda: (
                sum(at > killed for at in on_b.answered) >= 50
                and sum(at > killed for at in health_b.answered) >= 10
            )
        )
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*serving_b), 60)
    # B served throughout: every order and health check answered.
    assert on_b.failures == []
    assert health_b.failures == []

    # Every acknowledged order is stored once, whole, as acknowledged; the only others stored
    # are those A committed without getting to answer (one in flight per customer at most).
    rows = await b.db.query(
        """SELECT orders.id, count(order_items.id), sum(order_items.quantity) FROM orders
             LEFT JOIN order_items ON order_items.order_id = orders.id GROUP BY orders.id""",
    )
    stored = {order_id: (items, quantity) for order_id, items, quantity in rows}
    assert all(items == 1 for items, _ in stored.values())
    acknowledged = on_a.acknowledged + on_b.acknowledged
    assert len({order_id for order_id, _ in acknowledged}) == len(acknowledged)
    wrong = {
        order: stored.get(order)
        for order, quantity in acknowledged
        if stored.get(order) != (1, quantity)
    }
    assert wrong == {}, "acknowledged orders missing or not as acknowledged"
    assert len(stored) - len(acknowledged) <= len(customers_a)
