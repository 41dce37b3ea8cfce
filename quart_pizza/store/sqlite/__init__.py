"""The SQLite store: one file, per worker a few reader threads and one group-commit writer.

- `readers.py`: reads, each run whole in one of a few threads with a read-only connection;
- `writer.py`: every write, group-committed by one thread per worker;
- `write_lock.py`: a lock file serialising the writers of all worker processes;
- `migrate.py`: the numbered migrations, applied under a lock file at start;
- `menu.py`, `orders.py`, `users.py`, `logins.py`: the SQL, as functions of a
  `sqlite3.Connection`.
"""

import asyncio
import sqlite3
from collections.abc import AsyncGenerator, Callable, Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Final

import aiosqlite

from ...models.menu import Pizza
from ...models.order import NewItem, Order, OrderSummary, Owner, PlacedOrder
from ...models.preferences import Preferences
from ...models.status import OrderEvent, Status
from ...models.times import ago_text
from ...models.user import Attempts, Login, User, new_login_token
from .. import KITCHEN_LIMIT, LAST_SEEN_EVERY, WATCH_BATCH, Settings, Store
from ..errors import NotStaffError, StoreUnavailableError
from ..menu_cache import MenuCache
from . import events, logins, menu, orders, users
from .connect import connect_async
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

    def __init__(self, path: Path, settings: Settings | None = None) -> None:
        self.path = path
        self.settings = settings = settings or Settings()
        self._readers = Readers(path, count=settings.readers)
        self._writer = Writer(path, WriteLock(path), busy_timeout=settings.busy_timeout)
        self._menu = MenuCache(settings.menu_cache_seconds, self._read_menu)

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

    # Reads and writes on behalf of an owner: the login check rides along in the same job.

    def _live_login(self, conn: sqlite3.Connection, owner: Owner) -> sqlite3.Row | None:
        """The owner's live login row (None for a guest); raises `LoginEndedError`."""
        if owner.user_id is None:
            return None
        idle_since = ago_text(self.settings.login_idle)
        created_since = ago_text(self.settings.login_lifetime)
        return logins.select_live_login(conn, owner, idle_since, created_since)

    async def _read_as[T](self, owner: Owner, work: Callable[[sqlite3.Connection], T]) -> T:
        def job(conn: sqlite3.Connection) -> tuple[sqlite3.Row | None, T]:
            return self._live_login(conn, owner), work(conn)

        login, result = await self._readers.read(job)
        if login is not None and login["last_seen_at"] < ago_text(LAST_SEEN_EVERY):
            await self._writer.write(partial(logins.touch_login, login_id=login["id"],
                                             seen_before=ago_text(LAST_SEEN_EVERY)))  # fmt: skip
        return result

    async def _write_as[T](self, owner: Owner, work: Callable[[sqlite3.Connection], T]) -> T:
        def job(conn: sqlite3.Connection) -> T:
            login = self._live_login(conn, owner)
            if login is not None:
                seen_before = ago_text(LAST_SEEN_EVERY)
                if login["last_seen_at"] < seen_before:  # at most once a minute
                    logins.touch_login(conn, login["id"], seen_before)
            return work(conn)

        return await self._writer.write(job)

    # The menu and orders.

    async def menu(self) -> list[Pizza]:
        return await self._menu.get()

    async def _read_menu(self) -> list[Pizza]:
        return await self._readers.read(menu.select_menu)

    async def place_order(
        self, owner: Owner, items: Sequence[NewItem], *, idempotency_key: str | None = None
    ) -> PlacedOrder:
        return await self._write_as(
            owner,
            partial(
                orders.insert_order_once, owner=owner, items=items, idempotency_key=idempotency_key
            ),
        )

    async def place_and_read_order(
        self, owner: Owner, items: Sequence[NewItem], *, idempotency_key: str | None = None
    ) -> tuple[Order, bool]:
        # Read back inside the write job: no second hop to a reader for the API's answer.
        return await self._write_as(
            owner,
            partial(_place_and_select, owner=owner, items=items, idempotency_key=idempotency_key),
        )

    async def order_placed_with_key(self, owner: Owner, idempotency_key: str) -> int | None:
        return await self._read_as(
            owner,
            partial(orders.select_order_id_for_key, owner=owner, idempotency_key=idempotency_key),
        )

    async def owned_order(self, order_id: int, owner: Owner) -> Order | None:
        order = await self._read_as(owner, partial(orders.select_order, order_id=order_id))
        return order if order is not None and order.is_owned_by(owner) else None

    async def dashboard(
        self, owner: Owner, last_order_id: int | None, *, before: int | None, limit: int
    ) -> tuple[list[OrderSummary], Order | None, list[Login]]:
        def page(conn: sqlite3.Connection) -> tuple[list[OrderSummary], Order | None, list[Login]]:
            assert owner.user_id is not None
            summaries = orders.select_orders_for_user(
                conn, owner.user_id, before=before, limit=limit
            )
            last = None if last_order_id is None else orders.select_order(conn, last_order_id)
            current = self._live_login(conn, owner)
            assert current is not None
            return (
                summaries,
                last if last is not None and last.is_owned_by(owner) else None,
                logins.select_logins(conn, owner.user_id, current["id"]),
            )

        return await self._read_as(owner, page)

    # The lifecycle of an order, the kitchen, and the live events.

    def _staff(self, conn: sqlite3.Connection, owner: Owner) -> None:
        """Raise `NotStaffError` unless the owner (their login live) is staff."""
        self._live_login(conn, owner)
        user = None if owner.user_id is None else users.select_user(conn, owner.user_id)
        if user is None or not user.staff:
            raise NotStaffError("staff only")

    async def change_status(
        self, owner: Owner, order_id: int, status: Status, *, as_staff: bool
    ) -> OrderEvent | None:
        def job(conn: sqlite3.Connection) -> OrderEvent | None:
            if as_staff:
                self._staff(conn, owner)
            else:
                self._live_login(conn, owner)
            order = orders.select_order(conn, order_id)
            if order is None or not (as_staff or order.is_owned_by(owner)):
                return None
            return events.move_order(
                conn, order_id, status, "staff" if as_staff else "customer", owner.user_id
            )

        return await self._writer.write(job)

    async def order_with_events(self, order_id: int, owner: Owner) -> Order | None:
        def read(conn: sqlite3.Connection) -> Order | None:
            order = orders.select_order(conn, order_id)
            if order is None or not order.is_owned_by(owner):
                return None
            return replace(order, events=tuple(events.select_events_of(conn, order_id)))

        return await self._read_as(owner, read)

    async def kitchen(
        self, owner: Owner, *, after: int = 0
    ) -> tuple[list[Order], list[OrderEvent]]:
        def read(conn: sqlite3.Connection) -> tuple[list[Order], list[OrderEvent]]:
            self._staff(conn, owner)
            missed = events.select_events_after(conn, after, KITCHEN_LIMIT) if after else []
            return events.select_open_orders(conn, KITCHEN_LIMIT), missed

        return await self._readers.read(read)

    async def set_staff(self, username: str, staff: bool) -> bool:
        return await self._writer.write(partial(users.update_staff, username=username, staff=staff))

    async def watch(self, every: float) -> AsyncGenerator[list[OrderEvent]]:
        """A connection of its own asks SQLite every `every` seconds whether any other
        connection (the writer of any worker) has committed since (`PRAGMA data_version`, a
        few microseconds), and only then reads the new events."""
        conn = await connect_async(self.path)
        try:
            await conn.execute("PRAGMA query_only = ON")
            last = await conn.execute_fetchall("SELECT coalesce(max(id), 0) FROM order_events")
            after = int(next(iter(last))[0])
            version = await _data_version(conn)
            while True:
                await asyncio.sleep(every)
                now = await _data_version(conn)
                if now == version:
                    continue
                version = now
                while True:
                    rows = await conn.execute_fetchall(
                        f"SELECT {events.EVENT_COLUMNS} FROM order_events WHERE id > :after "
                        "ORDER BY id LIMIT :limit",
                        {"after": after, "limit": WATCH_BATCH},
                    )
                    batch = [events.event_from_row(row) for row in rows]
                    if not batch:
                        break
                    after = batch[-1].id
                    yield batch
                    if len(batch) < WATCH_BATCH:
                        break
        finally:
            await conn.close()

    # Accounts and logins.

    async def verify(self, owner: Owner) -> None:
        await self._read_as(owner, lambda conn: None)

    async def user_named(self, username: str) -> User | None:
        return await self._readers.read(partial(users.select_user_by_username, username=username))

    async def account(self, owner: Owner) -> User:
        assert owner.user_id is not None
        user = await self._read_as(owner, partial(users.select_user, user_id=owner.user_id))
        assert user is not None  # a live login's account exists
        return user

    async def register(
        self,
        username: str,
        password_hash: str,
        user_agent: str,
        *,
        guest_key: str | None = None,
        guest_orders_since: str | None = None,
    ) -> Owner:
        token = new_login_token()

        def job(conn: sqlite3.Connection) -> Owner:
            user_id = users.insert_user(conn, username, password_hash)
            logins.insert_login(conn, user_id, token, user_agent)
            if guest_key is not None and guest_orders_since is not None:
                orders.claim_guest_orders(conn, guest_key, user_id, guest_orders_since)
            return Owner(user_id, None, token)

        return await self._writer.write(job)

    async def log_in(self, user: User, user_agent: str, *, new_hash: str | None = None) -> Owner:
        token = new_login_token()

        def job(conn: sqlite3.Connection) -> Owner:
            logins.insert_login(conn, user.id, token, user_agent)
            logins.delete_login_failures(conn, user.username)
            if new_hash is not None:
                users.update_password_hash(conn, user.id, new_hash)
            return Owner(user.id, None, token)

        return await self._writer.write(job)

    async def log_out(self, owner: Owner) -> None:
        if owner.login is not None:
            await self._writer.write(partial(logins.delete_login, token=owner.login))

    async def end_login(self, owner: Owner, login_id: int) -> bool:
        assert owner.user_id is not None
        return await self._write_as(
            owner, partial(logins.delete_login_of, user_id=owner.user_id, login_id=login_id)
        )

    async def end_every_login(self, owner: Owner) -> None:
        assert owner.user_id is not None
        await self._write_as(owner, partial(logins.delete_logins, user_id=owner.user_id))

    async def change_password(self, owner: Owner, password_hash: str) -> None:
        def job(conn: sqlite3.Connection) -> None:
            assert owner.user_id is not None
            current = self._live_login(conn, owner)
            assert current is not None
            users.update_password_hash(conn, owner.user_id, password_hash)
            logins.delete_logins(conn, owner.user_id, except_id=current["id"])

        await self._writer.write(job)

    async def preferences(self, owner: Owner) -> Preferences | None:
        assert owner.user_id is not None
        return await self._read_as(owner, partial(users.select_preferences, user_id=owner.user_id))

    async def save_preferences(self, owner: Owner, preferences: Preferences) -> None:
        assert owner.user_id is not None
        await self._write_as(
            owner,
            partial(users.update_preferences, user_id=owner.user_id, preferences=preferences),
        )

    # Attempts the limits count.

    async def login_failures(
        self, username: str, client: str, since: str
    ) -> tuple[Attempts, Attempts]:
        def job(conn: sqlite3.Connection) -> tuple[Attempts, Attempts]:
            kind = "login_failure"
            return (
                logins.count_attempts(conn, kind, since, username=username),
                logins.count_attempts(conn, kind, since, client=client),
            )

        return await self._readers.read(job)

    async def record_login_failure(self, username: str, client: str) -> None:
        await self._record_attempt("login_failure", client, username)

    async def registrations(self, client: str, since: str) -> Attempts:
        return await self._readers.read(
            partial(logins.count_attempts, kind="registration", since=since, client=client)
        )

    async def record_registration(self, client: str) -> None:
        await self._record_attempt("registration", client, None)

    async def _record_attempt(self, kind: str, client: str, username: str | None) -> None:
        """One more attempt of `kind`; attempts older than the throttles look back are
        forgotten in the same write."""
        forget_before = ago_text(self.settings.attempts_kept)
        await self._writer.write(
            partial(
                logins.insert_attempt,
                kind=kind,
                client=client,
                username=username,
                forget_before=forget_before,
            )  # fmt: skip
        )


async def _data_version(conn: aiosqlite.Connection) -> int:
    rows = await conn.execute_fetchall("PRAGMA data_version")
    return int(next(iter(rows))[0])


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
