"""Opening SQLite connections the same way everywhere, and a lock shared across processes."""

import asyncio
import contextlib
import fcntl
import os
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Final

import aiosqlite

# journal_mode is stored in the file (set by the migration runner); these are per connection.
PER_CONNECTION_PRAGMAS: Final = ("PRAGMA foreign_keys = ON", "PRAGMA synchronous = FULL")


async def connect_async(path: Path, *, busy_timeout_ms: int = 5000) -> aiosqlite.Connection:
    """An aiosqlite connection with the pragmas every connection needs (migrations and the
    live watcher use it). Cancelled while opening (a server stopping as it starts), it still
    closes what it opened instead of leaving a connection and its thread to the collector."""

    async def open_it() -> aiosqlite.Connection:
        conn = await aiosqlite.connect(path, isolation_level=None, timeout=busy_timeout_ms / 1000)
        conn.row_factory = aiosqlite.Row
        try:
            for pragma in PER_CONNECTION_PRAGMAS:
                await conn.execute(pragma)
        except BaseException:
            await conn.close()
            raise
        return conn

    opening = asyncio.ensure_future(open_it())
    try:
        return await asyncio.shield(opening)
    except asyncio.CancelledError:
        with contextlib.suppress(Exception):
            await (await opening).close()
        raise


def connect(
    path: Path, *, busy_timeout_ms: int = 5000, read_only: bool = False
) -> sqlite3.Connection:
    """A stdlib connection for the store's own threads (readers and the writer).

    `check_same_thread` stays on: each connection is opened in the thread that uses it.
    """
    conn = sqlite3.connect(path, isolation_level=None, timeout=busy_timeout_ms / 1000)
    conn.row_factory = sqlite3.Row
    for pragma in PER_CONNECTION_PRAGMAS:
        conn.execute(pragma)
    if read_only:
        # A reader that tries to write, by a bug, gets an error instead of a second writer.
        conn.execute("PRAGMA query_only = ON")
    return conn


@asynccontextmanager
async def file_lock(path: Path) -> AsyncIterator[None]:
    """Hold an exclusive lock on `path` across processes; waits in a thread, not the loop."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        await asyncio.to_thread(fcntl.flock, fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock
