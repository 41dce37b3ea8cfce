"""SQL for the menu."""

import asyncpg

from ...models.menu import Pizza


async def select_menu(conn: asyncpg.Connection) -> list[Pizza]:
    """Every pizza with its prices, in menu order."""
    rows = await conn.fetch(
        """SELECT pizzas.id, pizzas.slug, pizzas.name, pizzas.description, pizzas.vegetarian,
                  pizza_prices.size, pizza_prices.price_cents
             FROM pizzas JOIN pizza_prices ON pizza_prices.pizza_id = pizzas.id
            ORDER BY pizzas.position, pizzas.id"""
    )
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
