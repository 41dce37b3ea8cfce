import asyncio

from quart_pizza.models.menu import Pizza
from quart_pizza.store.menu_cache import MenuCache


async def test_concurrent_requests_share_one_menu_read() -> None:
    reads = 0

    async def read() -> list[Pizza]:
        nonlocal reads
        reads += 1
        await asyncio.sleep(0.01)
        return [Pizza(reads, f"pizza-{reads}", "Pizza", "", {"small": 800})]

    cache = MenuCache(3600, read)
    menus = await asyncio.gather(*(cache.get() for _ in range(50)))
    assert reads == 1
    assert all(menu == menus[0] for menu in menus)
    await cache.get()
    assert reads == 1  # still fresh
    expired = MenuCache(0, read)
    await expired.get()
    assert (await expired.get())[0].slug == "pizza-3"
    assert reads == 3


async def test_a_failed_read_is_tried_again_by_the_next_request() -> None:
    attempts = 0

    async def read() -> list[Pizza]:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            raise RuntimeError("database gone")
        return []

    cache = MenuCache(3600, read)
    try:
        await cache.get()
    except RuntimeError:
        pass
    assert await cache.get() == []
    assert attempts == 2
