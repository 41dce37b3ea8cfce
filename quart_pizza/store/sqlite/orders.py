"""SQL for orders and their items. Writes run inside the writer's transaction."""

import sqlite3
from collections.abc import Sequence
from typing import Final

from ...models.order import (
    IDEMPOTENCY_KEY_LIFETIME,
    MAX_ORDER_ID,
    IdempotencyConflictError,
    NewItem,
    Order,
    OrderRejectedError,
    OrderSummary,
    Owner,
    PlacedOrder,
    UnknownAccountError,
    fingerprint,
)
from ...models.times import ago_text
from ..rows import orders_from_rows
from . import events


def insert_order(
    conn: sqlite3.Connection,
    owner: Owner,
    items: Sequence[NewItem],
    idempotency_key: str | None = None,
) -> int:
    """Store an order and its items at today's prices; returns the order id."""
    if not items:
        raise OrderRejectedError("an order needs at least one pizza")
    try:
        cursor = conn.execute(
            """INSERT INTO orders (user_id, guest_key, idempotency_key, idempotency_owner,
                                   request_fingerprint)
               VALUES (:user_id, :guest_key, :idempotency_key, :idempotency_owner,
                       :fingerprint)""",
            {
                "user_id": owner.user_id,
                "guest_key": owner.guest_key,
                "idempotency_key": idempotency_key,
                "idempotency_owner": None if idempotency_key is None else owner.idempotency_scope,
                "fingerprint": None if idempotency_key is None else fingerprint(items),
            },
        )
    except sqlite3.IntegrityError as exc:  # the session names an account that is gone
        raise UnknownAccountError("Your account no longer exists; please log in again.") from exc
    order_id = cursor.lastrowid
    assert order_id is not None
    for item in items:
        cursor = conn.execute(
            """INSERT INTO order_items (order_id, pizza_id, size, quantity, unit_price_cents)
               SELECT :order_id, pizzas.id, pizza_prices.size, :quantity,
                      pizza_prices.price_cents
                 FROM pizzas JOIN pizza_prices ON pizza_prices.pizza_id = pizzas.id
                WHERE pizzas.slug = :slug AND pizza_prices.size = :size""",
            {
                "order_id": order_id,
                "slug": item.pizza_slug,
                "size": item.size,
                "quantity": item.quantity,
            },
        )
        if cursor.rowcount != 1:
            raise OrderRejectedError(f"{item.pizza_slug} ({item.size}) is not on the menu.")
    events.insert_placed_event(conn, order_id, owner.user_id)
    return order_id


def insert_order_once(
    conn: sqlite3.Connection,
    owner: Owner,
    items: Sequence[NewItem],
    idempotency_key: str | None = None,
) -> PlacedOrder:
    """Store the order unless this owner's idempotency key already did, within a day.

    It runs inside the write transaction, so two requests with the same key cannot both insert.
    """
    if idempotency_key is None:
        return PlacedOrder(insert_order(conn, owner, items), created=True)
    row = conn.execute(
        """SELECT id, created_at, request_fingerprint FROM orders
            WHERE idempotency_owner = :scope AND idempotency_key = :key""",
        {"scope": owner.idempotency_scope, "key": idempotency_key},
    ).fetchone()
    if row is not None and row["created_at"] < ago_text(IDEMPOTENCY_KEY_LIFETIME):
        # An expired key: the old order forgets it, and the key places a new order.
        conn.execute(
            "UPDATE orders SET idempotency_key = NULL, idempotency_owner = NULL WHERE id = :id",
            {"id": row["id"]},
        )
        row = None
    if row is None:
        return PlacedOrder(insert_order(conn, owner, items, idempotency_key), created=True)
    if row["request_fingerprint"] != fingerprint(items):
        raise IdempotencyConflictError(
            "This Idempotency-Key was already used for a different order."
        )
    return PlacedOrder(row["id"], created=False)


def select_order_id_for_key(
    conn: sqlite3.Connection, owner: Owner, idempotency_key: str
) -> int | None:
    """The order this owner placed with this key within the key's lifetime, if any."""
    row = conn.execute(
        """SELECT id FROM orders
            WHERE idempotency_owner = :scope AND idempotency_key = :key AND created_at >= :since""",
        {
            "scope": owner.idempotency_scope,
            "key": idempotency_key,
            "since": ago_text(IDEMPOTENCY_KEY_LIFETIME),
        },
    ).fetchone()
    return None if row is None else int(row["id"])


SELECT_ORDER: Final = """
    SELECT orders.id, orders.user_id, orders.guest_key, orders.created_at, orders.status,
           pizzas.slug, pizzas.name, order_items.size, order_items.quantity,
           order_items.unit_price_cents
      FROM orders
      JOIN order_items ON order_items.order_id = orders.id
      JOIN pizzas ON pizzas.id = order_items.pizza_id
     WHERE orders.id = :id
     ORDER BY order_items.id"""


def select_order(conn: sqlite3.Connection, order_id: int) -> Order | None:
    """The order with its items, or None."""
    rows = conn.execute(SELECT_ORDER, {"id": order_id}).fetchall()
    orders = orders_from_rows(rows)
    return orders[0] if orders else None


def select_orders_for_user(
    conn: sqlite3.Connection, user_id: int, *, before: int | None = None, limit: int = 50
) -> list[OrderSummary]:
    """The user's orders, newest first, `limit` at a time, older than order `before`."""
    rows = conn.execute(
        """SELECT orders.id, orders.created_at, orders.status,
                  SUM(order_items.quantity) AS pizzas,
                  SUM(order_items.quantity * order_items.unit_price_cents) AS total_cents
             FROM orders JOIN order_items ON order_items.order_id = orders.id
            WHERE orders.user_id = :user_id AND orders.id < :before
            GROUP BY orders.id
            ORDER BY orders.id DESC
            LIMIT :limit""",
        {"user_id": user_id, "before": before or MAX_ORDER_ID, "limit": limit},
    ).fetchall()
    return [
        OrderSummary(row["id"], row["created_at"], row["pizzas"], row["total_cents"], row["status"])
        for row in rows
    ]


def claim_guest_orders(
    conn: sqlite3.Connection, guest_key: str, user_id: int, placed_since: str
) -> int:
    """Move the guest's orders placed since `placed_since` into the account just created for
    them; their idempotency keys move with them."""
    cursor = conn.execute(
        """UPDATE orders
              SET user_id = :user_id, guest_key = NULL,
                  idempotency_owner = CASE WHEN idempotency_key IS NULL THEN NULL
                                           ELSE 'u:' || :user_id END
            WHERE guest_key = :guest_key AND user_id IS NULL AND created_at >= :since""",
        {"user_id": user_id, "guest_key": guest_key, "since": placed_since},
    )
    return cursor.rowcount
