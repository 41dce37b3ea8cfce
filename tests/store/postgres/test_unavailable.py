"""A database that is down, restarting or saturated: 503 with Retry-After and nothing stored,
`/healthz` 503, and the shop back by itself when the database is, without a restart.

Each test has a PostgreSQL server of its own, since it stops it or locks its tables.
"""

import asyncio
import os
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import asyncpg
import pytest
from quart import Quart
from quart.testing.app import LifespanError
from quart.typing import TestClientProtocol as Client

from quart_pizza import create_app
from quart_pizza.models.order import NewItem, Owner
from quart_pizza.store import Settings
from quart_pizza.store.postgres import PostgresStore

from ...database import database_at
from ...helpers import OrderActions, csrf_from
from ...postgres import (
    REQUIRE_ENV,
    PostgresCluster,
    create_database,
    postgres_bin_dir,
    start_cluster,
    start_server,
    stop_cluster,
    stop_server,
)


@pytest.fixture
def cluster() -> Iterator[PostgresCluster]:
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        if os.environ.get(REQUIRE_ENV):
            pytest.fail("no PostgreSQL binaries")
        pytest.skip("no PostgreSQL binaries")
    cluster = start_cluster(bin_dir)
    yield cluster
    stop_cluster(cluster)


type Shop = Callable[..., AbstractAsyncContextManager[Quart]]


@pytest.fixture
def shop(cluster: PostgresCluster, config: dict[str, Any]) -> Shop:
    """Serve the app on a new database of the test's own server, `settings` added to its
    config."""

    @asynccontextmanager
    async def serve(**settings: Any) -> AsyncIterator[Quart]:
        url = await create_database(cluster.url)
        app = create_app({**config, "DATABASE_URL": url, **settings})
        async with app.test_app():
            yield app

    return serve


async def csrf_token(client: Client) -> str:
    """The session's form token, read while the database is up (the page shows the menu)."""
    return csrf_from(await (await client.get("/")).get_data(as_text=True))


async def count_orders(app: Quart) -> int:
    return await database_at(app.config["DATABASE_URL"]).count_orders()


@asynccontextmanager
async def orders_locked(app: Quart) -> AsyncIterator[None]:
    """Another session holds the orders table locked, so that no order can be written."""
    locker = await asyncpg.connect(app.config["DATABASE_URL"])
    try:
        async with locker.transaction():
            await locker.execute("LOCK TABLE orders IN EXCLUSIVE MODE")
            yield
    finally:
        await locker.close()


async def assert_unavailable(client: Client, token: str) -> None:
    health = await client.get("/healthz")
    assert health.status_code == 503
    assert health.headers["Retry-After"]
    form = {"pizza": "margherita", "size": "medium", "quantity": "1", "csrf_token": token}
    order = await client.post("/orders/create", form=form)
    assert order.status_code == 503
    assert order.headers["Retry-After"]
    assert "Traceback" not in await order.get_data(as_text=True)


async def test_a_restart_of_the_database_gives_503_then_the_shop_recovers(
    shop: Shop, cluster: PostgresCluster
) -> None:
    async with shop() as app:
        client = app.test_client()
        orders = OrderActions(client)
        await orders.place_id()
        token = await csrf_token(client)

        await asyncio.to_thread(stop_server, cluster)  # its sessions end; new ones are refused
        for _ in range(2):  # the pool's broken connections, then refused connections
            await assert_unavailable(client, token)
        assert (await client.get("/")).status_code == 503

        await asyncio.to_thread(start_server, cluster)
        # No restart of the app: the pool opens new connections as they are needed.
        assert (await client.get("/healthz")).status_code == 200
        await orders.place_id()
        assert await count_orders(app) == 2


async def test_a_crashed_database_loses_no_acknowledged_order(
    shop: Shop, cluster: PostgresCluster
) -> None:
    async with shop() as app:
        client = app.test_client()
        orders = OrderActions(client)
        placed = [await orders.place_id() for _ in range(5)]
        token = await csrf_token(client)
        await asyncio.to_thread(stop_server, cluster, "immediate")  # no checkpoint, no goodbye
        await assert_unavailable(client, token)
        await asyncio.to_thread(start_server, cluster, {})  # recovery from the WAL
        assert (await client.get("/healthz")).status_code == 200
        stored = await database_at(app.config["DATABASE_URL"]).query(
            "SELECT id FROM orders ORDER BY id"
        )
        assert [row["id"] for row in stored] == placed


async def test_a_pool_exhausted_past_its_timeout_gives_503(shop: Shop) -> None:
    async with shop(DATABASE_POOL_SIZE=1, DATABASE_POOL_TIMEOUT=0.3) as app:
        client = app.test_client()
        orders = OrderActions(client)
        await orders.place_id()
        token = await csrf_token(client)
        async with orders_locked(app):
            # This order waits for the lock, holding the pool's only connection...
            stuck = asyncio.ensure_future(orders.place())
            await asyncio.sleep(0.2)
            assert not stuck.done()
            # ...so every other request waits for a connection, and gets a 503 after 0.3 s.
            await assert_unavailable(client, token)
        assert (await stuck).status_code == 303
        assert (await client.get("/healthz")).status_code == 200
        assert await count_orders(app) == 2


async def test_a_statement_past_its_timeout_gives_503_and_stores_nothing(shop: Shop) -> None:
    async with shop(DATABASE_STATEMENT_TIMEOUT=0.5) as app:
        client = app.test_client()
        orders = OrderActions(client)
        token = await csrf_token(client)
        async with orders_locked(app):
            form = {"pizza": "margherita", "size": "medium", "quantity": "1", "csrf_token": token}
            response = await client.post("/orders/create", form=form)
            assert response.status_code == 503
            assert response.headers["Retry-After"]
        assert await count_orders(app) == 0
        await orders.place_id()
        assert await count_orders(app) == 1


async def test_the_watcher_connects_again_and_catches_up(cluster: PostgresCluster) -> None:
    url = await create_database(cluster.url)
    store = PostgresStore(url, Settings(menu_cache_seconds=0))
    await store.migrate()
    await store.open()
    events = store.watch(every=0.05)
    try:
        pending = asyncio.ensure_future(anext(events))
        await asyncio.sleep(0.3)
        await asyncio.to_thread(stop_server, cluster)
        await asyncio.sleep(0.3)  # the watcher finds its connection gone
        await asyncio.to_thread(start_server, cluster)
        # Committed before the watcher is back (it waits a second between attempts).
        placed = await store.place_order(Owner(None, "guest"), [NewItem("funghi", "small", 1)])
        batch = await asyncio.wait_for(pending, timeout=5)
        assert [(event.order_id, event.status) for event in batch] == [(placed.id, "placed")]
    finally:
        await events.aclose()
        await store.close()


async def test_a_worker_started_while_the_database_is_down_waits_for_it(
    cluster: PostgresCluster, config: dict[str, Any]
) -> None:
    url = await create_database(cluster.url)
    await asyncio.to_thread(stop_server, cluster)
    app = create_app({**config, "DATABASE_URL": url, "DATABASE_START_WAIT": 30})

    def start_soon() -> None:
        time.sleep(1.5)
        start_server(cluster)

    back = asyncio.ensure_future(asyncio.to_thread(start_soon))
    async with app.test_app():  # returns once it has migrated the database
        await back
        assert (await app.test_client().get("/healthz")).status_code == 200


async def test_a_worker_gives_up_when_the_database_stays_away(
    cluster: PostgresCluster, config: dict[str, Any]
) -> None:
    url = await create_database(cluster.url)
    await asyncio.to_thread(stop_server, cluster)
    app = create_app({**config, "DATABASE_URL": url, "DATABASE_START_WAIT": 1})
    started = time.monotonic()
    with pytest.raises(LifespanError, match="the database could not be migrated"):
        async with app.test_app():
            pass
    assert time.monotonic() - started < 10
