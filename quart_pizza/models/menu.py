"""The menu: pizzas and their price per size."""

import asyncio
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Final, Literal

import aiosqlite

type ConnectionContext = AbstractAsyncContextManager[aiosqlite.Connection]
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


class MenuCache:
    """The menu as last read, kept for `seconds`: it changes rarely and every page shows it.

    When it expires, one read refreshes it for every request waiting at that moment. Orders
    never trust it for prices: `insert_order` reads the price inside the write transaction,
    so a cached menu can at worst show a price up to `seconds` old.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._menu: list[Pizza] = []
        self._expires = 0.0
        self._loading: asyncio.Task[None] | None = None

    async def get(self, read: Callable[[], ConnectionContext]) -> list[Pizza]:
        """The cached menu, read again through `read()` (a reader connection) when stale."""
        if time.monotonic() >= self._expires:
            if self._loading is None:
                self._loading = asyncio.create_task(self._load(read))
            await asyncio.shield(self._loading)
        return self._menu

    async def _load(self, read: Callable[[], ConnectionContext]) -> None:
        try:
            async with read() as conn:
                self._menu = await select_menu(conn)
            self._expires = time.monotonic() + self.seconds
        finally:
            self._loading = None
