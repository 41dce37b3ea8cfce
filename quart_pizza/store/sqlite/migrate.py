"""Applying the migrations to a SQLite file, each in one transaction, recorded in the file."""

from datetime import UTC, datetime
from pathlib import Path

from ..migrations import load_migrations
from .connect import connect_async, file_lock


async def migrate(path: Path, directory: Path | None = None) -> list[int]:
    """Bring the database at `path` up to date; returns the versions applied now.

    Safe when several workers start at once on a new file: a lock file serialises them, so the
    first applies the migrations and the others find nothing left to do.
    """
    migrations = load_migrations(directory)
    path.parent.mkdir(parents=True, exist_ok=True)
    # The file holds password hashes: only the owner may read it (SQLite gives its -wal and
    # -shm files the same mode).
    path.touch(mode=0o600, exist_ok=True)
    applied_now: list[int] = []
    async with file_lock(path.with_name(path.name + ".migrate-lock")):
        conn = await connect_async(path)
        try:
            # WAL is stored in the file and lets readers run while a writer commits.
            await conn.execute("PRAGMA journal_mode = WAL")
            await conn.execute(
                """CREATE TABLE IF NOT EXISTS schema_migrations (
                       version INTEGER PRIMARY KEY,
                       name TEXT NOT NULL,
                       applied_at TEXT NOT NULL
                   ) STRICT"""
            )
            rows = await conn.execute_fetchall("SELECT version FROM schema_migrations")
            done = {row[0] for row in rows}
            for migration in migrations:
                if migration.version in done:
                    continue
                # executescript() commits first unless the script opens the transaction itself,
                # so the BEGIN is part of the script; the bookkeeping row joins that transaction.
                await conn.executescript("BEGIN IMMEDIATE;\n" + migration.sql)
                await conn.execute(
                    """INSERT INTO schema_migrations (version, name, applied_at)
                       VALUES (:version, :name, :applied_at)""",
                    {
                        "version": migration.version,
                        "name": migration.name,
                        "applied_at": datetime.now(UTC).isoformat(timespec="seconds"),
                    },
                )
                await conn.execute("COMMIT")
                applied_now.append(migration.version)
        finally:
            if conn.in_transaction:
                await conn.execute("ROLLBACK")
            await conn.close()
    return applied_now
