"""SQL for the menu."""

import asyncpg

from ...models.menu import Pizza
from ..rows import menu_from_rows


async def select_menu(conn: asyncpg.Connection) -> list[Pizza]:
    """Every pizza with its prices, in menu order."""
    rows = await conn.fetch(
        """SELECT pizzas.id, pizzas.slug, pizzas.name, pizzas.description, pizzas.vegetarian,
                  pizza_prices.size, pizza_prices.price_cents
             FROM pizzas JOIN pizza_prices ON pizza_prices.pizza_id = pizzas.id
            ORDER BY pizzas.position, pizzas.id"""
    )
    return menu_from_rows(rows)
