"""Applying the PostgreSQL migrations (`migrations/postgres/`), each in one transaction."""

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import asyncpg

from ...resources import resource_dir
from ..migrations import Migration, load_migrations

# Any fixed number will do: the key of the advisory lock that migrating workers share. Advisory
# locks belong to one database, so databases on the same server do not wait for each other.
MIGRATE_LOCK_KEY: Final = 0x5049_5A5A_4D49_4752  # "PIZZMIGR"


def postgres_migrations_dir() -> Path:
    """The PostgreSQL twins of the SQLite migrations: same numbers, same names."""
    return resource_dir("migrations") / "postgres"


async def migrate(
    dsn: str, directory: Path | None = None, *, options: Mapping[str, Any] | None = None
) -> list[int]:
    """Bring the database at `dsn` up to date; returns the versions applied now.

    Safe when many workers, on one host or many, start at once on a new database: each
    migration runs in a transaction that first takes an advisory lock, so one worker applies
    it and the others, once the lock is theirs, find it recorded and skip it.
    """
    migrations = load_migrations(directory or postgres_migrations_dir())
    applied_now: list[int] = []
    conn = await asyncpg.connect(dsn, **(options or {}))
    try:
        while (migration := await _apply_next(conn, migrations)) is not None:
            applied_now.append(migration.version)
    finally:
        await conn.close()
    return applied_now


async def _apply_next(conn: asyncpg.Connection, migrations: list[Migration]) -> Migration | None:
    """Apply the first migration not yet recorded, with its record; None when all are."""
    # READ COMMITTED whatever the server's default: each statement must see what the previous
    # holder of the lock committed, which a snapshot taken before the lock would not.
    async with conn.transaction(isolation="read_committed"):
        # Released at commit or rollback, also when this worker dies half-way.
        await conn.execute("SELECT pg_advisory_xact_lock($1)", MIGRATE_LOCK_KEY)
        await conn.execute(
            """CREATE TABLE IF NOT EXISTS schema_migrations (
                   version integer PRIMARY KEY,
                   name text NOT NULL,
                   applied_at text NOT NULL
               )"""
        )
        rows = await conn.fetch("SELECT version FROM schema_migrations")
        done = {row["version"] for row in rows}
        pending = next((m for m in migrations if m.version not in done), None)
        if pending is None:
            return None
        # Without arguments asyncpg sends the file as one simple query: many statements.
        await conn.execute(pending.sql)
        await conn.execute(
            """INSERT INTO schema_migrations (version, name, applied_at)
               VALUES ($1, $2, $3)""",
            pending.version,
            pending.name,
            datetime.now(UTC).isoformat(timespec="seconds"),
        )
    return pending
