"""The PostgreSQL store: one database for every worker of every host, through asyncpg.

- `connect.py`: the worker's connection pool, and which errors mean "unavailable" (a 503);
- `migrate.py`: the numbered migrations of `migrations/postgres/`, under an advisory lock;
- `watch.py`: the worker's listening connection, which passes on the events of every host;
- `menu.py`, `orders.py`, `events.py`, `users.py`, `logins.py`: the SQL, as functions of an
  asyncpg connection.

Each worker has one pool (opened in `before_serving`); every write is one statement, or one
transaction where it takes several, on one pooled connection, its constraints checked by the
database, and PostgreSQL groups concurrent commits by itself.
"""

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace

import asyncpg

from ...models.menu import Pizza
from ...models.order import NewItem, Order, OrderSummary, Owner, PlacedOrder
from ...models.preferences import Preferences
from ...models.status import OrderEvent, Status
from ...models.times import ago_text
from ...models.user import Attempts, Login, User, new_login_token
from .. import KITCHEN_LIMIT, LAST_SEEN_EVERY, Settings, Store
from ..errors import NotStaffError, StoreUnavailableError
from ..menu_cache import MenuCache
from . import events, logins, menu, orders, users
from .connect import (
    connect_options,
    create_pool,
    is_postgres_url,
    unavailable_as_503,
    without_password,
)
from .migrate import migrate
from .watch import watch_events

__all__ = ["PostgresStore", "is_postgres_url"]

type Work[T] = Callable[[asyncpg.Connection], Awaitable[T]]


class PostgresStore(Store):
    """The `Store` on a PostgreSQL database."""

    def __init__(self, url: str, settings: Settings | None = None) -> None:
        self.url = url
        self.settings = settings or Settings()
        self._pool: asyncpg.Pool | None = None
        self._menu = MenuCache(self.settings.menu_cache_seconds, self._read_menu)

    def __str__(self) -> str:
        return without_password(self.url)

    async def migrate(self) -> list[int]:
        async with unavailable_as_503("be migrated"):
            # The store's connection options (a pgbouncer needs its statement cache off), but
            # no statement timeout: a migration may rewrite a large table.
            options = connect_options(self.settings) | {"command_timeout": None}
            return await migrate(self.url, options=options)

    async def open(self) -> None:
        self._pool = await create_pool(self.url, self.settings)

    async def close(self) -> None:
        """Wait for the work under way to finish (at most the statement timeout), then close."""
        pool, self._pool = self._pool, None
        if pool is not None:
            try:
                await asyncio.wait_for(pool.close(), self.settings.statement_timeout)
            except TimeoutError:
                pool.terminate()

    async def check(self) -> int:
        count: int = await self._run(
            "be read", lambda conn: conn.fetchval("SELECT count(*) FROM schema_migrations")
        )
        return count

    # Running work on a pooled connection, the owner's login checked in the same turn.

    @asynccontextmanager
    async def _connection(self, what: str) -> AsyncIterator[asyncpg.Connection]:
        if self._pool is None:
            raise StoreUnavailableError("the database is not open")
        async with unavailable_as_503(what):
            async with self._pool.acquire(timeout=self.settings.pool_timeout) as conn:
                yield conn

    async def _run[T](self, what: str, work: Work[T]) -> T:
        async with self._connection(what) as conn:
            return await work(conn)

    def _login_check(self, owner: Owner) -> logins.LiveLogin | None:
        """What makes the owner's login live now (None for a guest)."""
        if owner.user_id is None:
            return None
        idle_since = ago_text(self.settings.login_idle)
        return logins.LiveLogin.of(owner, idle_since, ago_text(self.settings.login_lifetime))

    async def _live_login(self, conn: asyncpg.Connection, owner: Owner) -> asyncpg.Record | None:
        """The owner's live login row (None for a guest), its use noted; raises
        `LoginEndedError`."""
        check = self._login_check(owner)
        if check is None:
            return None
        login = await logins.select_live_login(conn, check)
        await self._note_use(conn, login)
        return login

    async def _note_use(self, conn: asyncpg.Connection, login: asyncpg.Record | None) -> None:
        """Write a login's last use at most once a minute, not on every request."""
        seen_before = ago_text(LAST_SEEN_EVERY)
        if login is not None and login["last_seen_at"] < seen_before:
            await logins.touch_login(conn, login["login_id"], seen_before)

    async def _as[T](self, owner: Owner, work: Work[T], what: str = "be read") -> T:
        """`work` after the owner's login check, on the same connection. Its statement is
        atomic on its own; work of several statements that must stand or fall together goes
        through `_write`."""
        async with self._connection(what) as conn:
            await self._live_login(conn, owner)
            return await work(conn)

    async def _write[T](self, work: Work[T]) -> T:
        async with self._connection("take the change") as conn, conn.transaction():
            return await work(conn)

    async def _staff(self, conn: asyncpg.Connection, owner: Owner) -> None:
        """Raise `NotStaffError` unless the owner (their login live) is staff."""
        await self._live_login(conn, owner)
        user = None if owner.user_id is None else await users.select_user(conn, owner.user_id)
        if user is None or not user.staff:
            raise NotStaffError("staff only")

    # The menu and orders.

    async def menu(self) -> list[Pizza]:
        return await self._menu.get()

    async def _read_menu(self) -> list[Pizza]:
        return await self._run("be read", menu.select_menu)

    async def place_order(
        self, owner: Owner, items: Sequence[NewItem], *, idempotency_key: str | None = None
    ) -> PlacedOrder:
        async with self._connection("take the order") as conn:
            return await self._place(conn, owner, items, idempotency_key)

    async def place_and_read_order(
        self, owner: Owner, items: Sequence[NewItem], *, idempotency_key: str | None = None
    ) -> tuple[Order, bool]:
        async with self._connection("take the order") as conn:
            placed = await self._place(conn, owner, items, idempotency_key)
            order = await orders.select_order(conn, placed.id)
            assert order is not None
            return order, placed.created

    async def _place(
        self,
        conn: asyncpg.Connection,
        owner: Owner,
        items: Sequence[NewItem],
        idempotency_key: str | None,
    ) -> PlacedOrder:
        """The order, its login check in the same statement."""
        check = self._login_check(owner)
        placed, login = await orders.insert_order_once(conn, owner, items, idempotency_key, check)
        await self._note_use(conn, login)
        return placed

    async def order_placed_with_key(self, owner: Owner, idempotency_key: str) -> int | None:
        return await self._as(
            owner, lambda conn: orders.select_order_id_for_key(conn, owner, idempotency_key)
        )

    async def owned_order(self, order_id: int, owner: Owner) -> Order | None:
        order = await self._as(owner, lambda conn: orders.select_order(conn, order_id))
        return order if order is not None and order.is_owned_by(owner) else None

    async def dashboard(
        self, owner: Owner, last_order_id: int | None, *, before: int | None, limit: int
    ) -> tuple[list[OrderSummary], Order | None, list[Login]]:
        assert owner.user_id is not None
        user_id = owner.user_id
        async with self._connection("be read") as conn:
            current = await self._live_login(conn, owner)
            assert current is not None
            summaries = await orders.select_orders_for_user(
                conn, user_id, before=before, limit=limit
            )
            last = None if last_order_id is None else await orders.select_order(conn, last_order_id)
            return (
                summaries,
                last if last is not None and last.is_owned_by(owner) else None,
                await logins.select_logins(conn, user_id, current["login_id"]),
            )

    # The lifecycle of an order, the kitchen, and the live events.

    async def change_status(
        self, owner: Owner, order_id: int, status: Status, *, as_staff: bool
    ) -> OrderEvent | None:
        async def work(conn: asyncpg.Connection) -> OrderEvent | None:
            if as_staff:
                await self._staff(conn, owner)
            else:
                await self._live_login(conn, owner)
            order = await orders.select_order(conn, order_id)
            if order is None or not (as_staff or order.is_owned_by(owner)):
                return None
            return await events.move_order(
                conn, order_id, status, "staff" if as_staff else "customer", owner.user_id
            )

        return await self._write(work)

    async def order_with_events(self, order_id: int, owner: Owner) -> Order | None:
        async def read(conn: asyncpg.Connection) -> Order | None:
            order = await orders.select_order(conn, order_id)
            if order is None or not order.is_owned_by(owner):
                return None
            return replace(order, events=tuple(await events.select_events_of(conn, order_id)))

        return await self._as(owner, read)

    async def kitchen(
        self, owner: Owner, *, after: int = 0
    ) -> tuple[list[Order], list[OrderEvent]]:
        async with self._connection("be read") as conn:
            await self._staff(conn, owner)
            missed = await events.select_events_after(conn, after, KITCHEN_LIMIT) if after else []
            return await events.select_open_orders(conn, KITCHEN_LIMIT), missed

    async def set_staff(self, username: str, staff: bool) -> bool:
        return await self._write(lambda conn: users.update_staff(conn, username, staff))

    def watch(self, every: float) -> AsyncGenerator[list[OrderEvent]]:
        return watch_events(self.url, self.settings, every)

    # Accounts and logins.

    async def verify(self, owner: Owner) -> None:
        if owner.user_id is not None:
            await self._run("be read", lambda conn: self._live_login(conn, owner))

    async def user_named(self, username: str) -> User | None:
        return await self._run(
            "be read", lambda conn: users.select_user_by_username(conn, username)
        )

    async def account(self, owner: Owner) -> User:
        assert owner.user_id is not None
        user_id = owner.user_id
        user = await self._as(owner, lambda conn: users.select_user(conn, user_id))
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

        async def work(conn: asyncpg.Connection) -> Owner:
            user_id = await users.insert_user(conn, username, password_hash)
            await logins.insert_login(conn, user_id, token, user_agent)
            if guest_key is not None and guest_orders_since is not None:
                await orders.claim_guest_orders(conn, guest_key, user_id, guest_orders_since)
            return Owner(user_id, None, token)

        return await self._write(work)

    async def log_in(self, user: User, user_agent: str, *, new_hash: str | None = None) -> Owner:
        token = new_login_token()

        async def work(conn: asyncpg.Connection) -> Owner:
            await logins.insert_login(conn, user.id, token, user_agent)
            await logins.delete_login_failures(conn, user.username)
            if new_hash is not None:
                await users.update_password_hash(conn, user.id, new_hash)
            return Owner(user.id, None, token)

        return await self._write(work)

    async def log_out(self, owner: Owner) -> None:
        token = owner.login
        if token is not None:
            await self._run("take the change", lambda conn: logins.delete_login(conn, token))

    async def end_login(self, owner: Owner, login_id: int) -> bool:
        assert owner.user_id is not None
        user_id = owner.user_id
        return await self._as(
            owner, lambda conn: logins.delete_login_of(conn, user_id, login_id), "take the change"
        )

    async def end_every_login(self, owner: Owner) -> None:
        assert owner.user_id is not None
        user_id = owner.user_id
        await self._as(owner, lambda conn: logins.delete_logins(conn, user_id), "take the change")

    async def change_password(self, owner: Owner, password_hash: str) -> None:
        assert owner.user_id is not None
        user_id = owner.user_id

        async def work(conn: asyncpg.Connection) -> None:
            current = await self._live_login(conn, owner)
            assert current is not None
            await users.update_password_hash(conn, user_id, password_hash)
            await logins.delete_logins(conn, user_id, except_id=current["login_id"])

        await self._write(work)

    async def preferences(self, owner: Owner) -> Preferences | None:
        assert owner.user_id is not None
        user_id = owner.user_id
        return await self._as(owner, lambda conn: users.select_preferences(conn, user_id))

    async def save_preferences(self, owner: Owner, preferences: Preferences) -> None:
        assert owner.user_id is not None
        user_id = owner.user_id
        await self._as(
            owner,
            lambda conn: users.update_preferences(conn, user_id, preferences),
            "take the change",
        )

    # Attempts the limits count, shared by every worker of every host.

    async def login_failures(
        self, username: str, client: str, since: str
    ) -> tuple[Attempts, Attempts]:
        async with self._connection("be read") as conn:
            kind = "login_failure"
            return (
                await logins.count_attempts(conn, kind, since, username=username),
                await logins.count_attempts(conn, kind, since, client=client),
            )

    async def record_login_failure(self, username: str, client: str) -> None:
        await self._record_attempt("login_failure", client, username)

    async def registrations(self, client: str, since: str) -> Attempts:
        return await self._run(
            "be read",
            lambda conn: logins.count_attempts(conn, "registration", since, client=client),
        )

    async def record_registration(self, client: str) -> None:
        await self._record_attempt("registration", client, None)

    async def _record_attempt(self, kind: str, client: str, username: str | None) -> None:
        """One more attempt of `kind`; attempts older than the throttles look back are
        forgotten in the same transaction."""
        forget_before = ago_text(self.settings.attempts_kept)
        await self._write(
            lambda conn: logins.insert_attempt(conn, kind, client, username, forget_before)
        )
