"""The readers: each read runs whole in a thread of its own, with durable settings, read-only."""

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from quart_pizza.store import StoreUnavailableError
from quart_pizza.store.sqlite.migrate import migrate
from quart_pizza.store.sqlite.readers import Readers

from ...database import SqliteDatabase


@pytest.fixture
async def path(tmp_path: Path) -> Path:
    path = tmp_path / "db.sqlite3"
    await migrate(path)
    return path


@pytest.fixture
async def readers(path: Path) -> AsyncIterator[Readers]:
    readers = Readers(path, count=2)
    await readers.open()
    yield readers
    await readers.close()


def pragmas(conn: sqlite3.Connection) -> dict[str, int | str]:
    names = ("journal_mode", "foreign_keys", "synchronous", "busy_timeout", "query_only")
    return {name: conn.execute(f"PRAGMA {name}").fetchone()[0] for name in names}


async def test_connections_use_the_durable_settings(readers: Readers) -> None:
    assert await readers.read(pragmas) == {
        "journal_mode": "wal",
        "foreign_keys": 1,
        "synchronous": 2,  # FULL
        "busy_timeout": 5000,
        "query_only": 1,
    }


async def test_readers_cannot_write(readers: Readers) -> None:
    def write(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO orders (guest_key) VALUES ('x')")

    # A bug, not a busy database: the error reaches the caller as it is (a 500, logged).
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        await readers.read(write)


async def test_reads_run_in_reader_threads_and_see_the_latest_commit(
    readers: Readers, path: Path
) -> None:
    def count(conn: sqlite3.Connection) -> tuple[str, int]:
        return threading.current_thread().name, conn.execute(
            "SELECT count(*) FROM orders"
        ).fetchone()[0]

    thread, before = await readers.read(count)
    assert thread.startswith("quart_pizza-reader-")
    await SqliteDatabase.file(path).execute("INSERT INTO orders (guest_key) VALUES ('g')")
    assert (await readers.read(count))[1] == before + 1


async def test_reads_are_answered_in_turn(path: Path) -> None:
    readers = Readers(path, count=1)
    await readers.open()
    ran: list[int] = []

    def note(number: int) -> Callable[[sqlite3.Connection], None]:
        return lambda conn: ran.append(number)

    try:
        await asyncio.gather(*(readers.read(note(i)) for i in range(100)))
    finally:
        await readers.close()
    assert ran == list(range(100))


async def test_a_failing_read_fails_alone(readers: Readers) -> None:
    def fail(conn: sqlite3.Connection) -> None:
        raise ValueError("no")

    def one(conn: sqlite3.Connection) -> int:
        return int(conn.execute("SELECT 1").fetchone()[0])

    results = await asyncio.gather(
        readers.read(one), readers.read(fail), readers.read(one), return_exceptions=True
    )
    assert results[0] == 1 and results[2] == 1
    assert isinstance(results[1], ValueError)


async def test_a_locked_or_missing_database_is_unavailable(readers: Readers) -> None:
    def locked(conn: sqlite3.Connection) -> None:
        raise sqlite3.OperationalError("database is locked")

    with pytest.raises(StoreUnavailableError):
        await readers.read(locked)


async def test_queued_reads_are_answered_then_later_ones_refused(path: Path) -> None:
    readers = Readers(path, count=1)
    await readers.open()
    started, release = threading.Event(), threading.Event()

    def slow(conn: sqlite3.Connection) -> str:
        started.set()
        release.wait(5)
        return "slow"

    first = asyncio.create_task(readers.read(slow))
    await asyncio.to_thread(started.wait, 5)
    queued = asyncio.create_task(readers.read(lambda conn: "queued"))
    await asyncio.sleep(0)
    closing = asyncio.create_task(readers.close())
    await asyncio.sleep(0.05)
    release.set()
    await closing
    assert await first == "slow"
    assert await queued == "queued"
    with pytest.raises(StoreUnavailableError):
        await readers.read(lambda conn: "late")


async def test_a_cancelled_reader_does_not_stop_the_others(readers: Readers) -> None:
    release = threading.Event()
    task = asyncio.create_task(readers.read(lambda conn: release.wait(5)))
    await asyncio.sleep(0.01)
    task.cancel()
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await readers.read(lambda conn: 7) == 7
