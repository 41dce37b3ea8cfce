"""The store: everything the shop asks of its database, named for what the shop does.

Views call `get_store()` and its methods; they never see a connection. Each database backend
is one implementation of `Store`, chosen by `PIZZA_DATABASE_URL` when the app is built.
"""

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from quart import Quart, current_app

from ..models.menu import Pizza
from ..models.order import NewItem, Order, OrderSummary, Owner, PlacedOrder
from ..models.user import User
from .errors import StoreUnavailableError

__all__ = ["Store", "StoreUnavailableError", "get_store", "init_app"]


class Store(Protocol):
    """The shop's data; open it in `before_serving`, close it in `after_serving`."""

    async def migrate(self) -> list[int]:
        """Bring the schema up to date; the versions applied now."""

    async def open(self) -> None: ...

    async def close(self) -> None:
        """Finish the writes already accepted, then let go of every connection."""

    async def check(self) -> int:
        """A real round trip to the database: the number of migrations applied.

        Raises `StoreUnavailableError` when the database cannot take reads or writes.
        """

    async def menu(self) -> list[Pizza]:
        """Every pizza with its prices, in menu order (possibly a few seconds old)."""

    async def place_order(
        self, owner: Owner, items: Sequence[NewItem], *, idempotency_key: str | None = None
    ) -> PlacedOrder:
        """Store the order at today's prices, once per idempotency key.

        Raises `OrderRejectedError` (or a subclass) when it cannot be placed as asked.
        """

    async def place_and_read_order(
        self, owner: Owner, items: Sequence[NewItem], *, idempotency_key: str | None = None
    ) -> tuple[Order, bool]:
        """`place_order`, and the order as stored: (order, True if placed by this call)."""

    async def order(self, order_id: int) -> Order | None:
        """The order with its items, whoever owns it."""

    async def owned_order(self, order_id: int, owner: Owner) -> Order | None:
        """The order if `owner` placed it, else None (missing and not theirs look the same)."""
        order = await self.order(order_id)
        return order if order is not None and order.is_owned_by(owner) else None

    async def orders_of(
        self, user_id: int, *, before: int | None = None, limit: int = 50
    ) -> list[OrderSummary]:
        """The customer's orders, newest first, `limit` at a time, older than order `before`."""

    async def dashboard(
        self, user_id: int, last_order_id: int | None, *, before: int | None, limit: int
    ) -> tuple[list[OrderSummary], Order | None]:
        """`orders_of` and the order `last_order_id` (None if not the customer's) at once."""

    async def user_named(self, username: str) -> User | None: ...

    async def create_user(self, username: str, password_hash: str) -> int:
        """The new account's id; raises `UsernameTakenError`."""

    async def set_password_hash(self, user_id: int, password_hash: str) -> None: ...

    async def claim_guest_orders(self, guest_key: str, user_id: int) -> int:
        """Move a guest's orders into the account they logged in to; how many moved."""


def open_store(url: str | None, instance_path: Path, config: dict[str, Any]) -> Store:
    """The implementation for the database URL (SQLite when unset)."""
    from .sqlite import SqliteStore, database_path

    return SqliteStore(
        database_path(url, instance_path),
        readers=config["DATABASE_READERS"],
        busy_timeout_ms=config["DATABASE_BUSY_TIMEOUT_MS"],
        menu_cache_seconds=config["MENU_CACHE_SECONDS"],
    )


def init_app(app: Quart) -> Store:
    """Build the app's store; it is migrated and opened when a worker starts serving."""
    store = open_store(app.config["DATABASE_URL"], Path(app.instance_path), dict(app.config))
    app.extensions["quart_pizza.store"] = store

    @app.before_serving
    async def open_store_for_serving() -> None:
        await store.migrate()
        await store.open()

    @app.after_serving
    async def close_store() -> None:
        await store.close()

    return store


def get_store() -> Store:
    """The current app's store."""
    store: Store = current_app.extensions["quart_pizza.store"]
    return store
