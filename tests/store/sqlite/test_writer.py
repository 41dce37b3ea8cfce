"""The group-commit writer: one transaction per batch, failures undone alone, callers answered
only after their commit, and writers of several processes taking turns through the lock file."""

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from quart_pizza.store import StoreUnavailableError
from quart_pizza.store.sqlite.migrate import migrate
from quart_pizza.store.sqlite.write_lock import WriteLock
from quart_pizza.store.sqlite.writer import Writer

from ...database import Row, SqliteDatabase


async def query(path: Path, sql: str) -> list[Row]:
    return await SqliteDatabase.file(path).query(sql)


@pytest.fixture
async def writer(tmp_path: Path) -> AsyncIterator[Writer]:
    path = tmp_path / "db.sqlite3"
    await migrate(path)
    writer = Writer(path, WriteLock(path))
    await writer.open()
    yield writer
    await writer.close()


def insert_guest_order(conn: sqlite3.Connection, key: str) -> int:
    cursor = conn.execute("INSERT INTO orders (guest_key) VALUES (:key)", {"key": key})
    assert cursor.lastrowid is not None
    return cursor.lastrowid


async def test_concurrent_writes_are_each_stored_once(writer: Writer) -> None:
    async def one(i: int) -> int:
        return await writer.write(lambda conn: insert_guest_order(conn, f"key-{i}"))

    ids = await asyncio.gather(*(one(i) for i in range(500)))
    assert len(set(ids)) == 500
    rows = await query(writer.path, "SELECT id, guest_key FROM orders ORDER BY id")
    assert sorted(ids) == [row[0] for row in rows]
    assert {row[1] for row in rows} == {f"key-{i}" for i in range(500)}


async def test_a_failing_job_rolls_back_alone(writer: Writer) -> None:
    def half_then_fail(conn: sqlite3.Connection) -> int:
        insert_guest_order(conn, "doomed")
        raise ValueError("no")

    results = await asyncio.gather(
        writer.write(lambda conn: insert_guest_order(conn, "before")),
        writer.write(half_then_fail),
        writer.write(lambda conn: insert_guest_order(conn, "after")),
        return_exceptions=True,
    )
    assert isinstance(results[1], ValueError)
    rows = await query(writer.path, "SELECT guest_key FROM orders ORDER BY id")
    assert rows == [("before",), ("after",)]


async def test_a_cancelled_caller_does_not_undo_a_queued_write(writer: Writer) -> None:
    task = asyncio.create_task(writer.write(lambda conn: insert_guest_order(conn, "x")))
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await writer.close()  # drains the queue
    assert await query(writer.path, "SELECT guest_key FROM orders") == [("x",)]


async def test_a_caller_cancelled_mid_commit_leaves_the_writer_working(
    writer: Writer,
) -> None:
    started, release = threading.Event(), threading.Event()

    def slow(conn: sqlite3.Connection) -> int:
        started.set()
        release.wait(5)
        return insert_guest_order(conn, "slow")

    task = asyncio.create_task(writer.write(slow))
    await asyncio.to_thread(started.wait, 5)  # the batch is in the writer thread now
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    release.set()
    # The commit finds its caller gone; the writer skips it and takes the next job.
    next_write = writer.write(lambda conn: insert_guest_order(conn, "next"))
    assert await asyncio.wait_for(next_write, 5) == 2
    assert await query(writer.path, "SELECT guest_key FROM orders ORDER BY id") == [
        ("slow",),
        ("next",),
    ]


async def test_writes_after_close_are_refused(writer: Writer) -> None:
    await writer.close()
    with pytest.raises(StoreUnavailableError):
        await writer.write(lambda conn: insert_guest_order(conn, "late"))


async def test_a_failed_commit_fails_every_job_of_the_batch(writer: Writer) -> None:
    # A deferred foreign key is only checked at COMMIT, so the whole transaction fails there.
    def orphan_item(conn: sqlite3.Connection) -> None:
        conn.execute("PRAGMA defer_foreign_keys = ON")
        conn.execute(
            """INSERT INTO order_items (order_id, pizza_id, size, quantity, unit_price_cents)
               VALUES (424242, 1, 'small', 1, 800)"""
        )

    results = await asyncio.gather(
        writer.write(lambda conn: insert_guest_order(conn, "innocent")),
        writer.write(orphan_item),
        return_exceptions=True,
    )
    assert all(isinstance(result, StoreUnavailableError) for result in results)
    assert await query(writer.path, "SELECT count(*) FROM orders") == [(0,)]
    # ... and the writer goes on working.
    assert await writer.write(lambda conn: insert_guest_order(conn, "later")) == 1


async def test_jobs_run_in_the_writer_thread_not_on_the_loop(writer: Writer) -> None:
    loop_thread = threading.get_ident()
    job_thread = await writer.write(lambda conn: threading.get_ident())
    assert job_thread != loop_thread
    assert await writer.write(lambda conn: threading.get_ident()) == job_thread


async def test_a_single_failing_job_leaves_nothing_behind(writer: Writer) -> None:
    def fail(conn: sqlite3.Connection) -> None:
        insert_guest_order(conn, "half")
        raise ValueError("no")

    with pytest.raises(ValueError):
        await writer.write(fail)
    assert await query(writer.path, "SELECT count(*) FROM orders") == [(0,)]


async def test_workers_take_turns_through_the_lock_file(tmp_path: Path) -> None:
    """Two writers on one file stand for two worker processes."""
    path = tmp_path / "shared.sqlite3"
    await migrate(path)
    first, second = Writer(path, WriteLock(path)), Writer(path, WriteLock(path))
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
