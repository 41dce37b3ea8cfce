"""What the database enforces when two hosts share it: each `PostgresStore` here has its own
pool, as a worker on another host would, on one real PostgreSQL database."""

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator

import asyncpg
import pytest

from quart_pizza.models.order import NewItem, Owner
from quart_pizza.models.status import OrderEvent, StatusConflictError
from quart_pizza.models.user import LoginEndedError
from quart_pizza.store import Settings
from quart_pizza.store.postgres import PostgresStore
from quart_pizza.store.postgres.watch import EventCursor

ITEMS = [NewItem("margherita", "medium", 2)]
GUEST = Owner(None, "guest-key")


@pytest.fixture
async def hosts(postgres_database: str) -> AsyncIterator[tuple[PostgresStore, PostgresStore]]:
    """Two stores on one migrated database: host A and host B."""
    settings = Settings(menu_cache_seconds=0, pool_size=3)
    a, b = PostgresStore(postgres_database, settings), PostgresStore(postgres_database, settings)
    await asyncio.gather(a.migrate(), b.migrate())
    await a.open()
    await b.open()
    yield a, b
    await a.close()
    await b.close()


async def staff(store: PostgresStore, username: str = "chef") -> Owner:
    owner = await store.register(username, "hash", "test")
    assert await store.set_staff(username, True)
    return owner


async def test_one_order_per_idempotency_key_across_hosts(
    hosts: tuple[PostgresStore, PostgresStore],
) -> None:
    a, b = hosts
    placed = await asyncio.gather(
        *(store.place_order(GUEST, ITEMS, idempotency_key="retry-1") for store in [a, b] * 10)
    )
    assert len({order.id for order in placed}) == 1
    assert sum(order.created for order in placed) == 1
    conn = await asyncpg.connect(a.url)
    try:
        assert await conn.fetchval("SELECT count(*) FROM orders") == 1
        assert await conn.fetchval("SELECT count(*) FROM order_events") == 1
    finally:
        await conn.close()


async def test_a_status_move_happens_once_across_hosts(
    hosts: tuple[PostgresStore, PostgresStore],
) -> None:
    a, b = hosts
    chef = await staff(a)
    order = await a.place_order(GUEST, ITEMS)
    results = await asyncio.gather(
        a.change_status(chef, order.id, "preparing", as_staff=True),
        b.change_status(chef, order.id, "preparing", as_staff=True),
        return_exceptions=True,
    )
    moved = [result for result in results if isinstance(result, OrderEvent)]
    refused = [result for result in results if isinstance(result, StatusConflictError)]
    assert len(moved) == 1 and len(refused) == 1, results
    shown = await b.order_with_events(order.id, GUEST)
    assert shown is not None
    assert [event.status for event in shown.events] == ["placed", "preparing"]


async def next_batch(events: AsyncGenerator[list[OrderEvent]]) -> list[OrderEvent]:
    return await asyncio.wait_for(anext(events), timeout=5)


async def test_a_move_on_one_host_reaches_the_watcher_of_another(
    hosts: tuple[PostgresStore, PostgresStore],
) -> None:
    a, b = hosts
    chef = await staff(a)
    # A long poll: only the notification can bring the move within a second.
    events = b.watch(every=30)
    first = asyncio.ensure_future(anext(events))
    await asyncio.sleep(0.3)  # the watcher is listening
    order = await a.place_order(GUEST, ITEMS)
    moved = await a.change_status(chef, order.id, "preparing", as_staff=True)
    assert moved is not None
    batch = await asyncio.wait_for(first, timeout=1)
    # The order's own 'placed' event was not announced; it comes with the move's read.
    assert [(event.order_id, event.status) for event in batch] == [
        (order.id, "placed"),
        (order.id, "preparing"),
    ]
    await events.aclose()


async def test_new_orders_reach_the_watchers_without_a_notification(
    hosts: tuple[PostgresStore, PostgresStore],
) -> None:
    a, b = hosts
    events = b.watch(every=0.05)
    first = asyncio.ensure_future(anext(events))
    await asyncio.sleep(0.3)
    order = await a.place_order(GUEST, ITEMS)
    batch = await asyncio.wait_for(first, timeout=2)
    assert [(event.order_id, event.status) for event in batch] == [(order.id, "placed")]
    await events.aclose()


async def test_an_event_committed_after_a_later_id_is_still_passed_on(
    hosts: tuple[PostgresStore, PostgresStore],
) -> None:
    """Ids are drawn before commit: the transaction holding the lower id may commit last."""
    a, b = hosts
    first_order = await a.place_order(GUEST, ITEMS)
    second_order = await a.place_order(GUEST, ITEMS)
    events = b.watch(every=0.05)
    pending = asyncio.ensure_future(anext(events))
    await asyncio.sleep(0.3)
    slow = await asyncpg.connect(a.url)
    fast = await asyncpg.connect(a.url)
    insert = """INSERT INTO order_events (order_id, status, actor) VALUES ($1, 'cancelled',
                'customer') RETURNING id"""
    try:
        transaction = slow.transaction()
        await transaction.start()
        low = await slow.fetchval(insert, first_order.id)
        high = await fast.fetchval(insert, second_order.id)
        assert high > low
        assert [event.id for event in await asyncio.wait_for(pending, 2)] == [high]
        await transaction.commit()
        assert [event.id for event in await next_batch(events)] == [low]
    finally:
        await slow.close()
        await fast.close()
        await events.aclose()


def test_the_cursor_forgets_ids_that_never_commit() -> None:
    cursor = EventCursor(after=10)
    event = OrderEvent(13, 1, "placed", "2026-12-01T00:00:00.000Z", "customer")
    assert cursor.take([event]) == [event]
    assert cursor.after == 13 and set(cursor.gaps) == {11, 12}
    assert cursor.take([event]) == []  # read again: not passed on twice
    for event_id in cursor.gaps:
        cursor.gaps[event_id] = 0.0  # past their time (a rolled back transaction)
    assert cursor.take([]) == [] and cursor.gaps == {}


async def test_an_order_of_a_login_ended_on_another_host_is_refused(
    hosts: tuple[PostgresStore, PostgresStore],
) -> None:
    """The login check rides in the order's own statement: nothing is stored without it."""
    a, b = hosts
    customer = await a.register("alice", "hash", "test")
    assert (await a.place_order(customer, ITEMS)).created
    await b.log_out(customer)
    with pytest.raises(LoginEndedError):
        await a.place_order(customer, ITEMS, idempotency_key="after-logout")
    conn = await asyncpg.connect(a.url)
    try:
        assert await conn.fetchval("SELECT count(*) FROM orders") == 1
    finally:
        await conn.close()
