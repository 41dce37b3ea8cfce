import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import aiosqlite
import pytest

from quart_pizza.db import Database, DatabaseUnavailableError
from quart_pizza.migrations import migrate

from .conftest import query


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    path = tmp_path / "db.sqlite3"
    await migrate(path)
    database = Database(path, readers=2)
    await database.open()
    yield database
    await database.close()


def insert_guest_order(conn: sqlite3.Connection, key: str) -> int:
    cursor = conn.execute("INSERT INTO orders (guest_key) VALUES (:key)", {"key": key})
    assert cursor.lastrowid is not None
    return cursor.lastrowid


async def test_connections_use_the_durable_settings(database: Database) -> None:
    async with database.read() as conn:
        settings = {}
        for pragma in ("journal_mode", "foreign_keys", "synchronous", "busy_timeout"):
            async with conn.execute(f"PRAGMA {pragma}") as cursor:
                row = await cursor.fetchone()
            assert row is not None
            settings[pragma] = row[0]
    assert settings == {
        "journal_mode": "wal",
        "foreign_keys": 1,
        "synchronous": 2,  # FULL: every commit is fsynced
        "busy_timeout": 5000,
    }


async def test_readers_cannot_write(database: Database) -> None:
    async with database.read() as conn:
        with pytest.raises(aiosqlite.OperationalError):
            await conn.execute("INSERT INTO orders (guest_key) VALUES ('x')")


async def test_readers_are_handed_out_in_turn(database: Database) -> None:
    """A request that asks for a reader again at once queues behind those already waiting."""
    order: list[str] = []

    async def read(name: str) -> None:
        async with database.read():
            order.append(name)

    holders = [database.read(), database.read()]  # both readers busy
    for holder in holders:
        await holder.__aenter__()
    waiting = [asyncio.create_task(read(f"waiter {i}")) for i in range(3)]
    await asyncio.sleep(0)  # all three queue up
    for holder in holders:
        await holder.__aexit__(None, None, None)
    await read("again")  # the releasing request, straight back
    await asyncio.gather(*waiting)
    assert order == ["waiter 0", "waiter 1", "waiter 2", "again"]


async def test_a_read_waiting_when_the_database_closes_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    await migrate(path)
    database = Database(path, readers=1)
    await database.open()
    holder = database.read()
    await holder.__aenter__()

    async def read() -> None:
        async with database.read():
            pass

    waiting = asyncio.create_task(read())
    await asyncio.sleep(0)
    await database.close()
    await holder.__aexit__(None, None, None)
    with pytest.raises(DatabaseUnavailableError):
        await waiting
    with pytest.raises(DatabaseUnavailableError):
        await read()


async def test_concurrent_writes_are_each_stored_once(database: Database) -> None:
    async def one(i: int) -> int:
        return await database.write(lambda conn: insert_guest_order(conn, f"key-{i}"))

    ids = await asyncio.gather(*(one(i) for i in range(500)))
    assert len(set(ids)) == 500
    rows = await query(database.path, "SELECT id, guest_key FROM orders ORDER BY id")
    assert sorted(ids) == [row[0] for row in rows]
    assert {row[1] for row in rows} == {f"key-{i}" for i in range(500)}


async def test_a_failing_job_rolls_back_alone(database: Database) -> None:
    def half_then_fail(conn: sqlite3.Connection) -> int:
        insert_guest_order(conn, "doomed")
        raise ValueError("no")

    results = await asyncio.gather(
        database.write(lambda conn: insert_guest_order(conn, "before")),
        database.write(half_then_fail),
        database.write(lambda conn: insert_guest_order(conn, "after")),
        return_exceptions=True,
    )
    assert isinstance(results[1], ValueError)
    rows = await query(database.path, "SELECT guest_key FROM orders ORDER BY id")
    assert rows == [("before",), ("after",)]


async def test_a_cancelled_caller_does_not_undo_a_queued_write(database: Database) -> None:
    task = asyncio.create_task(database.write(lambda conn: insert_guest_order(conn, "x")))
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await database.close()  # drains the queue
    assert await query(database.path, "SELECT guest_key FROM orders") == [("x",)]


async def test_a_caller_cancelled_mid_commit_leaves_the_writer_working(
    database: Database,
) -> None:
    started, release = threading.Event(), threading.Event()

    def slow(conn: sqlite3.Connection) -> int:
        started.set()
        release.wait(5)
        return insert_guest_order(conn, "slow")

    task = asyncio.create_task(database.write(slow))
    await asyncio.to_thread(started.wait, 5)  # the batch is in the writer thread now
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    release.set()
    # The commit finds its caller gone; the writer skips it and takes the next job.
    next_write = database.write(lambda conn: insert_guest_order(conn, "next"))
    assert await asyncio.wait_for(next_write, 5) == 2
    assert await query(database.path, "SELECT guest_key FROM orders ORDER BY id") == [
        ("slow",),
        ("next",),
    ]


async def test_writes_after_close_are_refused(database: Database) -> None:
    await database.close()
    with pytest.raises(DatabaseUnavailableError):
        await database.write(lambda conn: insert_guest_order(conn, "late"))
    with pytest.raises(DatabaseUnavailableError):
        async with database.read():
            pass


async def test_a_failed_commit_fails_every_job_of_the_batch(database: Database) -> None:
    # A deferred foreign key is only checked at COMMIT, so the whole transaction fails there.
    def orphan_item(conn: sqlite3.Connection) -> None:
        conn.execute("PRAGMA defer_foreign_keys = ON")
        conn.execute(
            """INSERT INTO order_items (order_id, pizza_id, size, quantity, unit_price_cents)
               VALUES (424242, 1, 'small', 1, 800)"""
        )

    results = await asyncio.gather(
        database.write(lambda conn: insert_guest_order(conn, "innocent")),
        database.write(orphan_item),
        return_exceptions=True,
    )
    assert all(isinstance(result, DatabaseUnavailableError) for result in results)
    assert await query(database.path, "SELECT count(*) FROM orders") == [(0,)]
    # ... and the writer goes on working.
    assert await database.write(lambda conn: insert_guest_order(conn, "later")) == 1


async def test_jobs_run_in_the_writer_thread_not_on_the_loop(database: Database) -> None:
    loop_thread = threading.get_ident()
    job_thread = await database.write(lambda conn: threading.get_ident())
    assert job_thread != loop_thread
    assert await database.write(lambda conn: threading.get_ident()) == job_thread


async def test_a_single_failing_job_leaves_nothing_behind(database: Database) -> None:
    def fail(conn: sqlite3.Connection) -> None:
        insert_guest_order(conn, "half")
        raise ValueError("no")

    with pytest.raises(ValueError):
        await database.write(fail)
    assert await query(database.path, "SELECT count(*) FROM orders") == [(0,)]


async def test_workers_take_turns_through_the_lock_file(tmp_path: Path) -> None:
    """Two Database objects on one file stand for two worker processes."""
    path = tmp_path / "shared.sqlite3"
    await migrate(path)
    first, second = Database(path), Database(path)
    await first.open()
    await second.open()
    try:
        ids = await asyncio.gather(
            *(
                (first if i % 2 else second).write(
                    lambda conn, i=i: insert_guest_order(conn, f"k{i}")  # type: ignore[misc]
                )
                for i in range(400)
            )
        )
    finally:
        await first.close()
        await second.close()
    assert sorted(ids) == list(range(1, 401))
