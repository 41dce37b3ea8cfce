"""The menu as last read, kept a few seconds: it changes rarely and every page shows it."""

import asyncio
import time
from collections.abc import Awaitable, Callable

from ..models.menu import Pizza


class MenuCache:
    """Keeps the menu for `seconds`; when it expires, one read refreshes it for every request
    waiting at that moment.

    Orders never trust it for prices: the store reads the price inside the write transaction,
    so a cached menu can at worst show a price up to `seconds` old.
    """

    def __init__(self, seconds: float, read: Callable[[], Awaitable[list[Pizza]]]) -> None:
        self.seconds = seconds
        self._read = read
        self._menu: list[Pizza] = []
        self._expires = 0.0
        self._loading: asyncio.Task[None] | None = None

    async def get(self) -> list[Pizza]:
        """The cached menu, read again when stale."""
        if time.monotonic() >= self._expires:
            if self._loading is None:
                self._loading = asyncio.create_task(self._load())
            await asyncio.shield(self._loading)
        return self._menu

    async def _load(self) -> None:
        try:
            self._menu = await self._read()
            self._expires = time.monotonic() + self.seconds
        finally:
            self._loading = None
