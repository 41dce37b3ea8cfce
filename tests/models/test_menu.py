import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiosqlite

from quart_pizza.migrations import migrate
from quart_pizza.models.menu import MenuCache


async def test_concurrent_requests_share_one_menu_read(tmp_path: Path) -> None:
    path = tmp_path / "menu.sqlite3"
    await migrate(path)
    reads = 0

    @asynccontextmanager
    async def read() -> AsyncIterator[aiosqlite.Connection]:
        nonlocal reads
        reads += 1
        async with aiosqlite.connect(path) as conn:
            conn.row_factory = aiosqlite.Row
            yield conn

    cache = MenuCache(seconds=3600)
    menus = await asyncio.gather(*(cache.get(read) for _ in range(50)))
    assert reads == 1
    assert all(menu == menus[0] for menu in menus)
    assert [pizza.slug for pizza in menus[0]][:2] == ["margherita", "pepperoni"]
    await cache.get(read)
    assert reads == 1  # still fresh
    expired = MenuCache(seconds=0)
    await expired.get(read)
    await expired.get(read)
    assert reads == 3
