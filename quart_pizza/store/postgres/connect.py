"""Connecting to PostgreSQL the same way everywhere, and telling "the database is unavailable"
from a fault of the statement."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Final
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from asyncpg import exceptions

from .. import Settings
from ..errors import StoreUnavailableError

SCHEMES: Final = ("postgresql://", "postgres://")
APPLICATION_NAME: Final = "quart_pizza"

# Errors of the connection or the server rather than of the statement: refused, reset, timed
# out, the server restarting or shutting down, out of connections, a read-only standby, and
# the transaction conflicts PostgreSQL asks the client to retry.
UNAVAILABLE: Final = (
    OSError,  # refused, reset, unreachable
    TimeoutError,  # no pooled connection in time, or a statement past its timeout
    asyncpg.InterfaceError,  # the connection or the pool closed under the work
    exceptions.PostgresConnectionError,
    exceptions.OperatorInterventionError,  # shutdown, restart, cancelled statement
    exceptions.InsufficientResourcesError,  # too many connections, disk full
    exceptions.TransactionRollbackError,  # serialization failure, deadlock
    exceptions.ReadOnlySQLTransactionError,  # a standby after a failover
)


def is_postgres_url(url: str | None) -> bool:
    return url is not None and url.startswith(SCHEMES)


def without_password(url: str) -> str:
    """The URL to show in logs and messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    user = f"{parts.username}@" if parts.username else ""
    return urlunsplit(parts._replace(netloc=user + host))


def connect_options(settings: Settings) -> dict[str, Any]:
    """What every connection of the store is opened with, pooled or not."""
    return {
        "timeout": settings.connect_timeout,
        "command_timeout": settings.statement_timeout,
        # 0 behind pgbouncer in transaction mode: prepared statements are per server connection.
        "statement_cache_size": settings.statement_cache_size,
        "server_settings": {"application_name": APPLICATION_NAME},
    }


async def create_pool(url: str, settings: Settings) -> asyncpg.Pool:
    """The worker's pool: it connects on demand (min_size 0), so it opens even while the
    database is down, and replaces a broken connection by itself once it is back."""
    return await asyncpg.create_pool(
        url,
        min_size=0,
        max_size=settings.pool_size,
        max_inactive_connection_lifetime=60,
        reset=_reset,
        **connect_options(settings),
    )


async def _reset(conn: asyncpg.Connection) -> None:
    """Run when a connection goes back to the pool. The store never leaves session state behind
    (no LISTEN, advisory locks, cursors or SET on pooled connections), so asyncpg's default
    reset (four statements and a round trip per release) is needed only to end a transaction
    that an error or a cancellation left open."""
    if conn.is_in_transaction():
        await conn.execute("ROLLBACK")


@asynccontextmanager
async def unavailable_as_503(what: str) -> AsyncIterator[None]:
    """Turn the database's unavailability into `StoreUnavailableError` (a 503 with Retry-After
    in the views); errors of the work itself pass through."""
    try:
        yield
    except UNAVAILABLE as exc:
        raise StoreUnavailableError(f"the database could not {what}") from exc
