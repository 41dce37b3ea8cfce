"""Orders and their items; prices are copied from the menu when the order is placed."""

import hashlib
import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import aiosqlite

from .menu import Size


@dataclass(frozen=True)
class NewItem:
    pizza_slug: str
    size: Size
    quantity: int


@dataclass(frozen=True)
class OrderItem:
    pizza_slug: str
    pizza_name: str
    size: Size
    quantity: int
    unit_price_cents: int

    @property
    def line_cents(self) -> int:
        return self.quantity * self.unit_price_cents


@dataclass(frozen=True)
class Order:
    id: int
    user_id: int | None
    guest_key: str | None
    created_at: str  # UTC, ISO 8601
    items: list[OrderItem]

    @property
    def total_cents(self) -> int:
        return sum(item.line_cents for item in self.items)

    def is_owned_by(self, user_id: int | None, guest_key: str | None) -> bool:
        """True for the customer who placed it, or the guest whose session holds its key."""
        if self.user_id is not None:
            return self.user_id == user_id
        return guest_key is not None and self.guest_key == guest_key


@dataclass(frozen=True)
class OrderSummary:
    id: int
    created_at: str
    pizzas: int
    total_cents: int


class OrderRejectedError(Exception):
    """The order cannot be stored as asked (an item left the menu, the account is gone)."""


class UnknownAccountError(OrderRejectedError):
    """The session names an account that no longer exists."""


class IdempotencyConflictError(OrderRejectedError):
    """The idempotency key was already used for a different order."""


@dataclass(frozen=True)
class PlacedOrder:
    order: Order
    created: bool  # False when an earlier request with the same idempotency key placed it


def fingerprint(items: Sequence[NewItem]) -> str:
    """A stable hash of what was ordered, to compare a retry with the original request."""
    canonical = json.dumps([[item.pizza_slug, item.size, item.quantity] for item in items])
    return hashlib.sha256(canonical.encode()).hexdigest()


def insert_order(
    conn: sqlite3.Connection,
    *,
    user_id: int | None,
    guest_key: str | None,
    items: Sequence[NewItem],
    idempotency_key: str | None = None,
) -> int:
    """Store an order and its items at today's prices; returns the order id. A write job."""
    if not items:
        raise OrderRejectedError("an order needs at least one pizza")
    try:
        cursor = conn.execute(
            """INSERT INTO orders (user_id, guest_key, idempotency_key, request_fingerprint)
               VALUES (:user_id, :guest_key, :idempotency_key, :fingerprint)""",
            {
                "user_id": user_id,
                "guest_key": guest_key,
                "idempotency_key": idempotency_key,
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
    return order_id


def insert_order_once(
    conn: sqlite3.Connection,
    *,
    user_id: int | None,
    guest_key: str | None,
    items: Sequence[NewItem],
    idempotency_key: str | None = None,
) -> tuple[int, bool]:
    """Store the order unless this idempotency key already did; (its id, True if new). A write job.

    It runs inside the write transaction, so two requests with the same key cannot both insert.
    """
    if idempotency_key is None:
        return insert_order(conn, user_id=user_id, guest_key=guest_key, items=items), True
    row = conn.execute(
        """SELECT id, user_id, guest_key, request_fingerprint FROM orders
            WHERE idempotency_key = :key""",
        {"key": idempotency_key},
    ).fetchone()
    if row is None:
        order_id = insert_order(
            conn, user_id=user_id, guest_key=guest_key, items=items, idempotency_key=idempotency_key
        )
        return order_id, True
    same_owner = (row["user_id"], row["guest_key"]) == (user_id, guest_key) or (
        user_id is not None and row["user_id"] == user_id
    )
    if not same_owner or row["request_fingerprint"] != fingerprint(items):
        raise IdempotencyConflictError(
            "This Idempotency-Key was already used for a different order."
        )
    return row["id"], False


def place_order(
    conn: sqlite3.Connection,
    *,
    user_id: int | None,
    guest_key: str | None,
    items: Sequence[NewItem],
    idempotency_key: str | None = None,
) -> PlacedOrder:
    """`insert_order_once`, then the order read back on the same connection. A write job.

    Reading it here costs the API no trip to a reader connection.
    """
    order_id, created = insert_order_once(
        conn, user_id=user_id, guest_key=guest_key, items=items, idempotency_key=idempotency_key
    )
    order = select_order_for_update(conn, order_id)
    assert order is not None
    return PlacedOrder(order, created)


SELECT_ORDER: Final = """
    SELECT orders.id, orders.user_id, orders.guest_key, orders.created_at,
           pizzas.slug, pizzas.name, order_items.size, order_items.quantity,
           order_items.unit_price_cents
      FROM orders
      JOIN order_items ON order_items.order_id = orders.id
      JOIN pizzas ON pizzas.id = order_items.pizza_id
     WHERE orders.id = :id
     ORDER BY order_items.id"""


def _order_from_rows(rows: Sequence[sqlite3.Row]) -> Order | None:
    if not rows:
        return None
    first = rows[0]
    items = [
        OrderItem(row["slug"], row["name"], row["size"], row["quantity"], row["unit_price_cents"])
        for row in rows
    ]
    return Order(first["id"], first["user_id"], first["guest_key"], first["created_at"], items)


async def select_order(conn: aiosqlite.Connection, order_id: int) -> Order | None:
    """The order with its items, or None."""
    return _order_from_rows(list(await conn.execute_fetchall(SELECT_ORDER, {"id": order_id})))


def select_order_for_update(conn: sqlite3.Connection, order_id: int) -> Order | None:
    """`select_order` inside a write job, on the writer's connection."""
    return _order_from_rows(conn.execute(SELECT_ORDER, {"id": order_id}).fetchall())


async def select_orders_for_user(
    conn: aiosqlite.Connection, user_id: int, *, before: int | None = None, limit: int = 50
) -> list[OrderSummary]:
    """The user's orders, newest first, `limit` at a time, older than order `before`."""
    rows = await conn.execute_fetchall(
        """SELECT orders.id, orders.created_at,
                  SUM(order_items.quantity) AS pizzas,
                  SUM(order_items.quantity * order_items.unit_price_cents) AS total_cents
             FROM orders JOIN order_items ON order_items.order_id = orders.id
            WHERE orders.user_id = :user_id AND orders.id < :before
            GROUP BY orders.id
            ORDER BY orders.id DESC
            LIMIT :limit""",
        {"user_id": user_id, "before": before or 2**63 - 1, "limit": limit},
    )
    return [
        OrderSummary(row["id"], row["created_at"], row["pizzas"], row["total_cents"])
        for row in rows
    ]


def claim_guest_orders(conn: sqlite3.Connection, guest_key: str, user_id: int) -> int:
    """Move a guest's orders into the account they just logged in to; a write job."""
    cursor = conn.execute(
        """UPDATE orders SET user_id = :user_id, guest_key = NULL
            WHERE guest_key = :guest_key AND user_id IS NULL""",
        {"user_id": user_id, "guest_key": guest_key},
    )
    return cursor.rowcount
