"""SQL for an order's status and its changes (order_events), and the kitchen's open orders."""

from collections.abc import Sequence
from typing import Final

import asyncpg

from ...models.order import Order
from ...models.status import OPEN, Actor, OrderEvent, Status, StatusConflictError, may_move
from ..rows import orders_from_rows
from .orders import ORDER_COLUMNS

# The channel status changes are announced on, with the event's id as the payload.
CHANNEL: Final = "quart_pizza_order_events"
EVENT_COLUMNS: Final = "id, order_id, status, at, actor"


def event_from_row(row: asyncpg.Record) -> OrderEvent:
    return OrderEvent(row["id"], row["order_id"], row["status"], row["at"], row["actor"])


async def move_order(
    conn: asyncpg.Connection, order_id: int, new: Status, actor: Actor, user_id: int | None
) -> OrderEvent:
    """Move the order to `new` if the lifecycle allows it from its status now; the change, its
    event and the announcement to every worker's watcher in this transaction. The update is
    conditional on the status read: a concurrent move of the same order (on any host) waits
    for the first to commit, then finds the status changed and updates nothing."""
    current: Status | None = await conn.fetchval(
        "SELECT status FROM orders WHERE id = $1", order_id
    )
    assert current is not None, "the caller checked that the order exists"
    if not may_move(current, new, actor):
        raise StatusConflictError(current, new)
    moved: str = await conn.execute(
        "UPDATE orders SET status = $2 WHERE id = $1 AND status = $3", order_id, new, current
    )
    if moved != "UPDATE 1":
        raise StatusConflictError(current, new)
    row = await conn.fetchrow(
        """INSERT INTO order_events (order_id, status, actor, user_id)
           VALUES ($1, $2, $3, $4)
           RETURNING id, at""",
        order_id,
        new,
        actor,
        user_id,
    )
    # Delivered to the listeners when (and only if) this transaction commits.
    await conn.execute("SELECT pg_notify($1, $2)", CHANNEL, str(row["id"]))
    return OrderEvent(row["id"], order_id, new, row["at"], actor)


async def select_events_of(conn: asyncpg.Connection, order_id: int) -> list[OrderEvent]:
    """The order's events, oldest first."""
    rows = await conn.fetch(
        f"SELECT {EVENT_COLUMNS} FROM order_events WHERE order_id = $1 ORDER BY id", order_id
    )
    return [event_from_row(row) for row in rows]


async def select_events_after(
    conn: asyncpg.Connection, after: int, limit: int, also: Sequence[int] = ()
) -> list[OrderEvent]:
    """Every order's events after event `after` (and the events `also`), oldest first, `limit`
    at most."""
    rows = await conn.fetch(
        f"""SELECT {EVENT_COLUMNS} FROM order_events
             WHERE id > $1 OR id = ANY($3::bigint[])
             ORDER BY id LIMIT $2""",
        after,
        limit,
        list(also),
    )
    return [event_from_row(row) for row in rows]


async def select_open_orders(conn: asyncpg.Connection, limit: int) -> list[Order]:
    """The orders not completed or cancelled, oldest first, with their items."""
    rows = await conn.fetch(
        f"""SELECT {ORDER_COLUMNS}
              FROM (SELECT id FROM orders WHERE status = ANY($1::text[])
                    ORDER BY id LIMIT $2) AS open
              JOIN orders ON orders.id = open.id
              JOIN order_items ON order_items.order_id = orders.id
              JOIN pizzas ON pizzas.id = order_items.pizza_id
             ORDER BY orders.id, order_items.id""",
        list(OPEN),
        limit,
    )
    return orders_from_rows(rows)
