"""The SQLite store: one file, per worker a few reader threads and one group-commit writer.

- `readers.py`: reads, each run whole in one of a few threads with a read-only connection;
- `writer.py`: every write, group-committed by one thread per worker;
- `write_lock.py`: a lock file serialising the writers of all worker processes;
- `migrate.py`: the numbered migrations, applied under a lock file at start;
- `menu.py`, `orders.py`, `users.py`: the SQL, as functions of a `sqlite3.Connection`.
"""

import sqlite3
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Final

from ...models.menu import Pizza
from ...models.order import NewItem, Order, OrderSummary, Owner, PlacedOrder
from ...models.user import User
from .. import Store
from ..errors import StoreUnavailableError
from ..menu_cache import MenuCache
from . import menu, orders, users
from .migrate import migrate
from .readers import Readers
from .write_lock import WriteLock
from .writer import Writer

DEFAULT_DATABASE_FILE: Final = "quart_pizza.sqlite3"


class DatabaseUrlError(ValueError):
    """`PIZZA_DATABASE_URL` names no SQLite file."""


def database_path(url: str | None, instance_path: Path) -> Path:
    """The SQLite file named by a `sqlite:///` URL; relative paths live in the instance folder."""
    if not url:
        return instance_path / DEFAULT_DATABASE_FILE
    prefix = "sqlite:///"
    if not url.startswith(prefix) or len(url) == len(prefix):
        raise DatabaseUrlError(
            f"PIZZA_DATABASE_URL must look like sqlite:////absolute/path.db, got {url!r}"
        )
    path = Path(url.removeprefix(prefix))
    return path if path.is_absolute() else instance_path / path


class SqliteStore(Store):
    """The `Store` on a SQLite file."""

    def __init__(
        self,
        path: Path,
        *,
        readers: int = 2,
        busy_timeout_ms: int = 5000,
        menu_cache_seconds: float = 5.0,
    ) -> None:
        self.path = path
        self._readers = Readers(path, count=readers, busy_timeout_ms=busy_timeout_ms)
        self._writer = Writer(path, WriteLock(path), busy_timeout_ms=busy_timeout_ms)
        self._menu = MenuCache(menu_cache_seconds, self._read_menu)

    def __str__(self) -> str:
        return str(self.path)

    async def migrate(self) -> list[int]:
        return await migrate(self.path)

    async def open(self) -> None:
        await self._writer.open()
        await self._readers.open()

    async def close(self) -> None:
        await self._writer.close()
        await self._readers.close()

    async def check(self) -> int:
        count = await self._readers.read(_count_migrations)
        if not self._writer.running:
            raise StoreUnavailableError("the writer has stopped")
        return count

    async def menu(self) -> list[Pizza]:
        return await self._menu.get()

    async def _read_menu(self) -> list[Pizza]:
        return await self._readers.read(menu.select_menu)

    async def place_order(
        self, owner: Owner, items: Sequence[NewItem], *, idempotency_key: str | None = None
    ) -> PlacedOrder:
        return await self._writer.write(
            partial(
                orders.insert_order_once, owner=owner, items=items, idempotency_key=idempotency_key
            )
        )

    async def place_and_read_order(
        self, owner: Owner, items: Sequence[NewItem], *, idempotency_key: str | None = None
    ) -> tuple[Order, bool]:
        # Read back inside the write job: no second hop to a reader for the API's answer.
        return await self._writer.write(
            partial(_place_and_select, owner=owner, items=items, idempotency_key=idempotency_key)
        )

    async def order(self, order_id: int) -> Order | None:
        return await self._readers.read(partial(orders.select_order, order_id=order_id))

    async def orders_of(
        self, user_id: int, *, before: int | None = None, limit: int = 50
    ) -> list[OrderSummary]:
        return await self._readers.read(
            partial(orders.select_orders_for_user, user_id=user_id, before=before, limit=limit)
        )

    async def dashboard(
        self, user_id: int, last_order_id: int | None, *, before: int | None, limit: int
    ) -> tuple[list[OrderSummary], Order | None]:
        return await self._readers.read(
            partial(
                _select_dashboard,
                user_id=user_id,
                last_order_id=last_order_id,
                before=before,
                limit=limit,
            )
        )

    async def user_named(self, username: str) -> User | None:
        return await self._readers.read(partial(users.select_user_by_username, username=username))

    async def create_user(self, username: str, password_hash: str) -> int:
        return await self._writer.write(
            partial(users.insert_user, username=username, password_hash=password_hash)
        )

    async def set_password_hash(self, user_id: int, password_hash: str) -> None:
        await self._writer.write(
            partial(users.update_password_hash, user_id=user_id, password_hash=password_hash)
        )

    async def claim_guest_orders(self, guest_key: str, user_id: int) -> int:
        return await self._writer.write(
            partial(orders.claim_guest_orders, guest_key=guest_key, user_id=user_id)
        )


def _count_migrations(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT count(*) FROM schema_migrations").fetchone()
    return int(row[0])


def _place_and_select(
    conn: sqlite3.Connection,
    owner: Owner,
    items: Sequence[NewItem],
    idempotency_key: str | None,
) -> tuple[Order, bool]:
    placed = orders.insert_order_once(conn, owner, items, idempotency_key)
    order = orders.select_order(conn, placed.id)
    assert order is not None
    return order, placed.created


def _select_dashboard(
    conn: sqlite3.Connection,
    user_id: int,
    last_order_id: int | None,
    before: int | None,
    limit: int,
) -> tuple[list[OrderSummary], Order | None]:
    summaries = orders.select_orders_for_user(conn, user_id, before=before, limit=limit)
    last = None if last_order_id is None else orders.select_order(conn, last_order_id)
    if last is not None and last.user_id != user_id:
        last = None
    return summaries, last
