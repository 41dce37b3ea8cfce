"""Opening SQLite connections the same way everywhere, and a lock shared across processes."""

import asyncio
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


async def connect(path: Path, *, busy_timeout_ms: int = 5000) -> aiosqlite.Connection:
    """Open a connection with the per-connection pragmas every connection needs."""
    conn = await aiosqlite.connect(path, isolation_level=None, timeout=busy_timeout_ms / 1000)
    conn.row_factory = aiosqlite.Row
    for pragma in PER_CONNECTION_PRAGMAS:
        await conn.execute(pragma)
    return conn


def connect_sync(path: Path, busy_timeout_ms: int = 5000) -> sqlite3.Connection:
    """The same, for the writer thread, which owns a stdlib connection (see db.py)."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=busy_timeout_ms / 1000)
    conn.row_factory = sqlite3.Row
    for pragma in PER_CONNECTION_PRAGMAS:
        conn.execute(pragma)
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
