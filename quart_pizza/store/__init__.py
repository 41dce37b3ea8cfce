"""The store: everything the shop asks of its database, named for what the shop does.

Views call `get_store()` and its methods; they never see a connection. Each database backend
is one implementation of `Store`, chosen by `PIZZA_DATABASE_URL` when the app is built.

Whoever acts is an `Owner`: a guest (a session key) or a customer with the token of their
login. Every method that acts for a customer checks first, in the same unit of work as its own
(one job of a SQLite thread; on PostgreSQL the order's own statement, or the same pooled
connection), that the login is still live, and raises `LoginEndedError` if it was logged out,
revoked or has expired.
"""

import asyncio
import logging
import time
from collections.abc import AsyncGenerator, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, Final, Protocol

from quart import Quart, current_app

from ..models.menu import Pizza
from ..models.order import NewItem, Order, OrderSummary, Owner, PlacedOrder
from ..models.preferences import Preferences
from ..models.status import OrderEvent, Status
from ..models.user import Attempts, Login, User
from .errors import StoreUnavailableError

__all__ = ["Settings", "Store", "StoreUnavailableError", "get_store", "init_app"]

log = logging.getLogger(__name__)

KITCHEN_LIMIT: Final = 500  # open orders on the kitchen board at most
WATCH_BATCH: Final = 500  # events a watcher reads at once
# A login's last use is written at most this often, not on every request.
LAST_SEEN_EVERY: Final = timedelta(minutes=1)


@dataclass(frozen=True)
class Settings:
    """What every implementation is tuned by (from the app's config)."""

    readers: int = 2
    busy_timeout: float = 5.0  # seconds a write waits for the database before giving up
    menu_cache_seconds: float = 5.0
    login_idle: timedelta = timedelta(days=7)  # a login unused this long has ended
    login_lifetime: timedelta = timedelta(days=30)  # and any login this old
    attempts_kept: timedelta = timedelta(hours=1)  # the longest window a limit counts in
    # PostgreSQL: connections in each worker's pool, seconds a request waits for one of them,
    # to connect, and for a statement; prepared statements cached per connection (0 behind
    # pgbouncer in transaction mode).
    pool_size: int = 4
    pool_timeout: float = 5.0
    connect_timeout: float = 5.0
    statement_timeout: float = 10.0
    statement_cache_size: int = 100

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "Settings":
        busy_ms = config.get("DATABASE_BUSY_TIMEOUT_MS")  # the old name, in milliseconds
        return cls(
            readers=config["DATABASE_READERS"],
            busy_timeout=busy_ms / 1000 if busy_ms is not None else config["DATABASE_BUSY_TIMEOUT"],
            menu_cache_seconds=config["MENU_CACHE_SECONDS"],
            login_idle=timedelta(seconds=config["LOGIN_IDLE_TIMEOUT"]),
            login_lifetime=timedelta(seconds=config["LOGIN_LIFETIME"]),
            attempts_kept=timedelta(
                seconds=max(config["LOGIN_FAILURE_WINDOW"], config["REGISTER_CLIENT_WINDOW"])
            ),
            pool_size=config["DATABASE_POOL_SIZE"],
            pool_timeout=config["DATABASE_POOL_TIMEOUT"],
            connect_timeout=config["DATABASE_CONNECT_TIMEOUT"],
            statement_timeout=config["DATABASE_STATEMENT_TIMEOUT"],
            statement_cache_size=config["DATABASE_STATEMENT_CACHE_SIZE"],
        )


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

    # The menu and orders.

    async def menu(self) -> list[Pizza]:
        """Every pizza with its prices, in menu order (possibly a few seconds old)."""

    async def place_order(
        self, owner: Owner, items: Sequence[NewItem], *, idempotency_key: str | None = None
    ) -> PlacedOrder:
        """Store the order at today's prices, once per owner and idempotency key (a day).

        Raises `OrderRejectedError` (or a subclass) when it cannot be placed as asked.
        """

    async def place_and_read_order(
        self, owner: Owner, items: Sequence[NewItem], *, idempotency_key: str | None = None
    ) -> tuple[Order, bool]:
        """`place_order`, and the order as stored: (order, True if placed by this call)."""

    async def order_placed_with_key(self, owner: Owner, idempotency_key: str) -> int | None:
        """The id of the order `owner` placed with this key (within its lifetime), if any."""

    async def owned_order(self, order_id: int, owner: Owner) -> Order | None:
        """The order if `owner` placed it, else None (missing and not theirs look the same)."""

    async def dashboard(
        self, owner: Owner, last_order_id: int | None, *, before: int | None, limit: int
    ) -> tuple[list[OrderSummary], Order | None, list[Login]]:
        """The customer's orders (newest first, `limit` older than `before`), the order
        `last_order_id` if theirs, and their live logins."""

    # The lifecycle of an order, the kitchen, and the events the live streams carry.

    async def change_status(
        self, owner: Owner, order_id: int, status: Status, *, as_staff: bool
    ) -> OrderEvent | None:
        """Move the order to `status`: as its customer (their own order only), or as staff (any
        order; raises `NotStaffError` if the owner is not). None if there is no such order
        for them; raises `StatusConflictError` if the lifecycle forbids the move now."""

    async def order_with_events(self, order_id: int, owner: Owner) -> Order | None:
        """`owned_order`, with its timeline."""

    async def kitchen(
        self, owner: Owner, *, after: int = 0
    ) -> tuple[list[Order], list[OrderEvent]]:
        """The open orders, oldest first, and every event after `after` (for a stream that
        reconnects); raises `NotStaffError` unless the owner is staff."""

    async def set_staff(self, username: str, staff: bool) -> bool:
        """Grant or revoke the staff role; False if there is no such user."""

    def watch(self, every: float) -> AsyncGenerator[list[OrderEvent]]:
        """The events committed by any worker from now on, in batches as they come (looked
        for every `every` seconds where the backend has to look)."""

    # Accounts and logins.

    async def verify(self, owner: Owner) -> None:
        """Raise `LoginEndedError` unless the owner is a guest or their login is live."""

    async def user_named(self, username: str) -> User | None: ...

    async def account(self, owner: Owner) -> User:
        """The owner's account (their login checked)."""

    async def register(
        self,
        username: str,
        password_hash: str,
        user_agent: str,
        *,
        guest_key: str | None = None,
        guest_orders_since: str | None = None,
    ) -> Owner:
        """Create the account and log it in; the guest's orders placed since
        `guest_orders_since` move into it. Raises `UsernameTakenError`."""

    async def log_in(self, user: User, user_agent: str, *, new_hash: str | None = None) -> Owner:
        """Start a login (its failed attempts forgotten; `new_hash` stored if given)."""

    async def log_out(self, owner: Owner) -> None:
        """End the owner's login, whether or not it is still live."""

    async def end_login(self, owner: Owner, login_id: int) -> bool:
        """End one of the owner's logins; False if they have no such login."""

    async def end_every_login(self, owner: Owner) -> None:
        """End every login of the owner's account, theirs included."""

    async def change_password(self, owner: Owner, password_hash: str) -> None:
        """Store the new hash and end every other login of the account."""

    async def preferences(self, owner: Owner) -> Preferences | None:
        """The customer's saved preferences (None if never saved)."""

    async def save_preferences(self, owner: Owner, preferences: Preferences) -> None: ...

    # Attempts that the limits count (failed logins, registrations), shared by every worker.

    async def login_failures(
        self, username: str, client: str, since: str
    ) -> tuple[Attempts, Attempts]:
        """Failed logins since `since`: for this username, and from this client."""

    async def record_login_failure(self, username: str, client: str) -> None: ...

    async def registrations(self, client: str, since: str) -> Attempts:
        """Registrations attempted from this client since `since`."""

    async def record_registration(self, client: str) -> None: ...


def open_store(url: str | None, instance_path: Path, settings: Settings) -> Store:
    """The implementation for the database URL: PostgreSQL for `postgresql://` (or
    `postgres://`), else SQLite (the default when unset)."""
    from .postgres import PostgresStore, is_postgres_url
    from .sqlite import SqliteStore, database_path

    if is_postgres_url(url):
        assert url is not None
        return PostgresStore(url, settings)
    return SqliteStore(database_path(url, instance_path), settings)


def init_app(app: Quart) -> Store:
    """Build the app's store; it is migrated and opened when a worker starts serving."""
    settings = Settings.from_config(app.config)
    store = open_store(app.config["DATABASE_URL"], Path(app.instance_path), settings)
    app.extensions["quart_pizza.store"] = store

    @app.before_serving
    async def open_store_for_serving() -> None:
        await migrate_when_available(store, app.config["DATABASE_START_WAIT"])
        await store.open()

    @app.after_serving
    async def close_store() -> None:
        await store.close()

    return store


async def migrate_when_available(store: Store, wait: float) -> list[int]:
    """Migrate, waiting up to `wait` seconds for a database that is not there yet (a worker
    started while PostgreSQL restarts); then the last error is raised and the worker fails."""
    deadline = time.monotonic() + wait
    pause = 0.5
    while True:
        try:
            return await store.migrate()
        except StoreUnavailableError as error:
            if time.monotonic() + pause > deadline:
                raise
            log.warning("%s: %s (%s); trying again", store, error, error.__cause__)
            await asyncio.sleep(pause)
            pause = min(pause * 2, 5.0)


def get_store() -> Store:
    """The current app's store."""
    store: Store = current_app.extensions["quart_pizza.store"]
    return store
