"""The shop's models from database rows, the same on every backend: a row is read by column
name (`sqlite3.Row`, `asyncpg.Record`), and the queries of each backend name their columns
alike."""

from collections.abc import Iterable
from typing import Any, Protocol

from ..models.menu import Pizza
from ..models.order import Order, OrderItem
from ..models.user import Login


class Row(Protocol):
    def __getitem__(self, key: str, /) -> Any: ...


def menu_from_rows(rows: Iterable[Row]) -> list[Pizza]:
    """The menu from rows of a pizza's columns and one of its prices, in menu order."""
    menu: dict[int, Pizza] = {}
    for row in rows:
        pizza = menu.setdefault(
            row["id"],
            Pizza(
                row["id"],
                row["slug"],
                row["name"],
                row["description"],
                vegetarian=bool(row["vegetarian"]),
            ),  # fmt: skip
        )
        pizza.prices[row["size"]] = row["price_cents"]
    return list(menu.values())


def orders_from_rows(rows: Iterable[Row]) -> list[Order]:
    """Orders from rows of an order's columns and one of its items (slug, name, size,
    quantity, unit_price_cents), each order's rows together."""
    orders: dict[int, Order] = {}
    for row in rows:
        order = orders.get(row["id"])
        if order is None:
            order = orders[row["id"]] = Order(
                row["id"], row["user_id"], row["guest_key"], row["created_at"], [],
                status=row["status"],
            )  # fmt: skip
        order.items.append(
            OrderItem(
                row["slug"], row["name"], row["size"], row["quantity"], row["unit_price_cents"]
            )  # fmt: skip
        )
    return list(orders.values())


def logins_from_rows(rows: Iterable[Row], current_id: int) -> list[Login]:
    """A customer's logins; `current_id` is the one asking."""
    return [
        Login(
            row["id"],
            row["created_at"],
            row["last_seen_at"],
            row["user_agent"],
            current=row["id"] == current_id,
        )  # fmt: skip
        for row in rows
    ]
