"""SQL for orders and their items, as functions of an asyncpg connection."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import asyncpg
from asyncpg import exceptions

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
from ...models.user import LoginEndedError
from ..rows import orders_from_rows
from .logins import LiveLogin
from .text import storable, storable_or_none

ORDER_COLUMNS: Final = """orders.id, orders.user_id, orders.guest_key, orders.created_at,
    orders.status, pizzas.slug, pizzas.name, order_items.size, order_items.quantity,
    order_items.unit_price_cents"""


# The order, its items at today's prices and its 'placed' event, in one statement: atomic
# without a transaction of its own, and one round trip, the customer's login check included
# (a guest's order has none). An item not on the menu joins no price and fails the NOT NULL of
# order_items, which undoes the whole statement. ON CONFLICT waits for a concurrent insert of
# the same idempotency key to commit or roll back, then inserts nothing. New orders are not
# announced by NOTIFY (it serialises the commits of every transaction that sends one): the
# watchers find them by reading the new events.
INSERT_ORDER: Final = f"""
    WITH live AS ({LiveLogin.query(9)}
    ), new_order AS (
        INSERT INTO orders (user_id, guest_key, idempotency_key, idempotency_owner,
                            request_fingerprint)
        SELECT $1::bigint, $2::text, $3::text, $4::text, $5::text
         WHERE $1::bigint IS NULL OR EXISTS (SELECT FROM live)
        ON CONFLICT (idempotency_owner, idempotency_key)
           WHERE idempotency_key IS NOT NULL DO NOTHING
        RETURNING id, created_at
    ), items AS (
        INSERT INTO order_items (order_id, pizza_id, size, quantity, unit_price_cents)
        SELECT new_order.id, pizzas.id, item.size, item.quantity, pizza_prices.price_cents
          FROM new_order
         CROSS JOIN unnest($6::text[], $7::text[], $8::integer[])
               WITH ORDINALITY AS item (slug, size, quantity, position)
          LEFT JOIN pizzas ON pizzas.slug = item.slug
          LEFT JOIN pizza_prices
                 ON pizza_prices.pizza_id = pizzas.id AND pizza_prices.size = item.size
         ORDER BY item.position
    ), placed AS (
        INSERT INTO order_events (order_id, status, at, actor, user_id)
        SELECT id, 'placed', created_at, 'customer', $1 FROM new_order
    )
    SELECT (SELECT id FROM new_order) AS order_id, live.login_id, live.last_seen_at
      FROM (SELECT) AS one LEFT JOIN live ON true"""


@dataclass(frozen=True)
class Inserted:
    """What the order statement did: the new order's id (None if the idempotency key already
    has an order), and the customer's live login (None for a guest)."""

    order_id: int | None
    login: asyncpg.Record | None


async def insert_order(
    conn: asyncpg.Connection,
    owner: Owner,
    items: Sequence[NewItem],
    idempotency_key: str | None,
    login: LiveLogin | None,
) -> Inserted:
    """Store an order, its items at today's prices and its 'placed' event, if the `login` is
    live (raises `LoginEndedError` otherwise) and the owner's idempotency key has no order."""
    if not items:
        raise OrderRejectedError("an order needs at least one pizza")
    try:
        row = await conn.fetchrow(
            INSERT_ORDER,
            owner.user_id,
            owner.guest_key,
            storable_or_none(idempotency_key),
            None if idempotency_key is None else owner.idempotency_scope,
            None if idempotency_key is None else fingerprint(items),
            [storable(item.pizza_slug) for item in items],
            [item.size for item in items],
            [item.quantity for item in items],
            *(login.args if login is not None else (None, None, None, None)),
        )
    except exceptions.ForeignKeyViolationError as exc:  # the session names an account gone
        raise UnknownAccountError("Your account no longer exists; please log in again.") from exc
    except exceptions.NotNullViolationError as exc:
        missing = await _first_not_on_menu(conn, items)
        raise OrderRejectedError(
            f"{missing.pizza_slug} ({missing.size}) is not on the menu."
        ) from exc
    if login is not None and row["login_id"] is None:
        raise LoginEndedError("the login has ended")
    return Inserted(row["order_id"], row if login is not None else None)


async def _first_not_on_menu(conn: asyncpg.Connection, items: Sequence[NewItem]) -> NewItem:
    rows = await conn.fetch(
        """SELECT pizzas.slug, pizza_prices.size
             FROM pizzas JOIN pizza_prices ON pizza_prices.pizza_id = pizzas.id
            WHERE pizzas.slug = ANY($1::text[])""",
        [storable(item.pizza_slug) for item in items],
    )
    on_menu = {(row["slug"], row["size"]) for row in rows}
    return next(item for item in items if (item.pizza_slug, item.size) not in on_menu)


async def insert_order_once(
    conn: asyncpg.Connection,
    owner: Owner,
    items: Sequence[NewItem],
    idempotency_key: str | None,
    login: LiveLogin | None,
) -> tuple[PlacedOrder, asyncpg.Record | None]:
    """Store the order unless this owner's idempotency key already did, within a day; and the
    customer's live login (raises `LoginEndedError` if it has ended).

    Each statement is atomic, so this needs no transaction: the unique index decides between
    two requests with the same key, on any host. The insert comes first, since a new key is
    the usual case; a key that finds an order is a retry, or a reuse of a key older than a
    day, which the old order then forgets.
    """
    while True:
        inserted = await insert_order(conn, owner, items, idempotency_key, login)
        if inserted.order_id is not None:
            return PlacedOrder(inserted.order_id, created=True), inserted.login
        assert idempotency_key is not None, "only a key can conflict"
        row = await _order_with_key(conn, owner, idempotency_key)
        if row is None:
            continue  # that order forgot the key meanwhile: try again
        if row["created_at"] < ago_text(IDEMPOTENCY_KEY_LIFETIME):
            await conn.execute(
                """UPDATE orders SET idempotency_key = NULL, idempotency_owner = NULL
                    WHERE id = $1""",
                row["id"],
            )
            continue
        if row["request_fingerprint"] != fingerprint(items):
            raise IdempotencyConflictError(
                "This Idempotency-Key was already used for a different order."
            )
        return PlacedOrder(row["id"], created=False), inserted.login


async def _order_with_key(
    conn: asyncpg.Connection, owner: Owner, idempotency_key: str
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        """SELECT id, created_at, request_fingerprint FROM orders
            WHERE idempotency_owner = $1 AND idempotency_key = $2""",
        owner.idempotency_scope,
        storable(idempotency_key),
    )


async def select_order_id_for_key(
    conn: asyncpg.Connection, owner: Owner, idempotency_key: str
) -> int | None:
    """The order this owner placed with this key within the key's lifetime, if any."""
    order_id: int | None = await conn.fetchval(
        """SELECT id FROM orders
            WHERE idempotency_owner = $1 AND idempotency_key = $2 AND created_at >= $3""",
        owner.idempotency_scope,
        storable(idempotency_key),
        ago_text(IDEMPOTENCY_KEY_LIFETIME),
    )
    return order_id


async def select_order(conn: asyncpg.Connection, order_id: int) -> Order | None:
    """The order with its items, or None."""
    rows = await conn.fetch(
        f"""SELECT {ORDER_COLUMNS}
              FROM orders
              JOIN order_items ON order_items.order_id = orders.id
              JOIN pizzas ON pizzas.id = order_items.pizza_id
             WHERE orders.id = $1
             ORDER BY order_items.id""",
        order_id,
    )
    orders = orders_from_rows(rows)
    return orders[0] if orders else None


async def select_orders_for_user(
    conn: asyncpg.Connection, user_id: int, *, before: int | None = None, limit: int = 50
) -> list[OrderSummary]:
    """The user's orders, newest first, `limit` at a time, older than order `before`."""
    rows = await conn.fetch(
        """SELECT orders.id, orders.created_at, orders.status,
                  sum(order_items.quantity) AS pizzas,
                  sum(order_items.quantity * order_items.unit_price_cents) AS total_cents
             FROM orders JOIN order_items ON order_items.order_id = orders.id
            WHERE orders.user_id = $1 AND orders.id < $2
            GROUP BY orders.id
            ORDER BY orders.id DESC
            LIMIT $3""",
        user_id,
        before or MAX_ORDER_ID,
        limit,
    )
    return [
        OrderSummary(
            row["id"], row["created_at"], int(row["pizzas"]), int(row["total_cents"]), row["status"]
        )  # fmt: skip
        for row in rows
    ]


async def claim_guest_orders(
    conn: asyncpg.Connection, guest_key: str, user_id: int, placed_since: str
) -> None:
    """Move the guest's orders placed since `placed_since` into the account just created for
    them; their idempotency keys move with them."""
    await conn.execute(
        """UPDATE orders
              SET user_id = $1, guest_key = NULL,
                  idempotency_owner = CASE WHEN idempotency_key IS NULL THEN NULL
                                           ELSE 'u:' || $1::bigint END
            WHERE guest_key = $2 AND user_id IS NULL AND created_at >= $3""",
        user_id,
        guest_key,
        placed_since,
    )
