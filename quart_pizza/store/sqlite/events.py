"""SQL for an order's status and its changes (order_events), the kitchen's open orders, and
the new events a worker's watcher passes on to the open streams."""

import sqlite3
from typing import Final

import aiosqlite

from ...models.order import Order
from ...models.status import OPEN, Actor, OrderEvent, Status, StatusConflictError, may_move
from ..rows import orders_from_rows


def insert_event(
    conn: sqlite3.Connection, order_id: int, status: Status, actor: Actor, user_id: int | None
) -> OrderEvent:
    row = conn.execute(
        """INSERT INTO order_events (order_id, status, actor, user_id)
           VALUES (:order_id, :status, :actor, :user_id)
           RETURNING id, at""",
        {"order_id": order_id, "status": status, "actor": actor, "user_id": user_id},
    ).fetchone()
    return OrderEvent(row["id"], order_id, status, row["at"], actor)


def insert_placed_event(conn: sqlite3.Connection, order_id: int, user_id: int | None) -> None:
    """The order's first event: placed, at the time the order was created."""
    conn.execute(
        """INSERT INTO order_events (order_id, status, at, actor, user_id)
           SELECT id, 'placed', created_at, 'customer', :user_id
             FROM orders WHERE id = :order_id""",
        {"order_id": order_id, "user_id": user_id},
    )


def move_order(
    conn: sqlite3.Connection, order_id: int, new: Status, actor: Actor, user_id: int | None
) -> OrderEvent:
    """Move the order to `new` if the lifecycle allows it from its status now; the change and
    its event in this transaction. The update is conditional on the status read, so two
    moves of one order can never both pass (another worker's, or a double click)."""
    row = conn.execute("SELECT status FROM orders WHERE id = :id", {"id": order_id}).fetchone()
    assert row is not None, "the caller checked that the order exists"
    current: Status = row["status"]
    if not may_move(current, new, actor):
        raise StatusConflictError(current, new)
    cursor = conn.execute(
        "UPDATE orders SET status = :new WHERE id = :id AND status = :current",
        {"id": order_id, "new": new, "current": current},
    )
    if cursor.rowcount != 1:
        raise StatusConflictError(current, new)
    return insert_event(conn, order_id, new, actor, user_id)


EVENT_COLUMNS: Final = "id, order_id, status, at, actor"


def event_from_row(row: sqlite3.Row | aiosqlite.Row) -> OrderEvent:
    return OrderEvent(row["id"], row["order_id"], row["status"], row["at"], row["actor"])


def select_events_of(conn: sqlite3.Connection, order_id: int) -> list[OrderEvent]:
    """The order's events, oldest first."""
    rows = conn.execute(
        f"SELECT {EVENT_COLUMNS} FROM order_events WHERE order_id = :order_id ORDER BY id",
        {"order_id": order_id},
    ).fetchall()
    return [event_from_row(row) for row in rows]


def select_events_after(conn: sqlite3.Connection, after: int, limit: int) -> list[OrderEvent]:
    """Every order's events after event `after`, oldest first, `limit` at most."""
    rows = conn.execute(
        f"SELECT {EVENT_COLUMNS} FROM order_events WHERE id > :after ORDER BY id LIMIT :limit",
        {"after": after, "limit": limit},
    ).fetchall()
    return [event_from_row(row) for row in rows]


def select_open_orders(conn: sqlite3.Connection, limit: int) -> list[Order]:
    """The orders not completed or cancelled, oldest first, with their items."""
    rows = conn.execute(
        f"""SELECT orders.id, orders.user_id, orders.guest_key, orders.created_at, orders.status,
                   pizzas.slug, pizzas.name, order_items.size, order_items.quantity,
                   order_items.unit_price_cents
              FROM (SELECT id FROM orders WHERE status IN ({", ".join("?" * len(OPEN))})
                    ORDER BY id LIMIT ?) AS open
              JOIN orders ON orders.id = open.id
              JOIN order_items ON order_items.order_id = orders.id
              JOIN pizzas ON pizzas.id = order_items.pizza_id
             ORDER BY orders.id, order_items.id""",
        (*OPEN, limit),
    ).fetchall()
    return orders_from_rows(rows)
