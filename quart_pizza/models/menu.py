"""The menu: pizzas and their price per size."""

from dataclasses import dataclass, field
from typing import Final, Literal

import aiosqlite

type Size = Literal["small", "medium", "large"]
SIZES: Final[tuple[Size, ...]] = ("small", "medium", "large")


@dataclass(frozen=True)
class Pizza:
    id: int
    slug: str
    name: str
    description: str
    prices: dict[Size, int] = field(default_factory=dict)  # cents per size


async def select_menu(conn: aiosqlite.Connection) -> list[Pizza]:
    """Every pizza with its prices, in menu order."""
    rows = await conn.execute_fetchall(
        """SELECT pizzas.id, pizzas.slug, pizzas.name, pizzas.description,
                  pizza_prices.size, pizza_prices.price_cents
             FROM pizzas JOIN pizza_prices ON pizza_prices.pizza_id = pizzas.id
            ORDER BY pizzas.position, pizzas.id"""
    )
    menu: dict[int, Pizza] = {}
    for row in rows:
        pizza = menu.setdefault(
            row["id"], Pizza(row["id"], row["slug"], row["name"], row["description"])
        )
        pizza.prices[row["size"]] = row["price_cents"]
    return list(menu.values())
