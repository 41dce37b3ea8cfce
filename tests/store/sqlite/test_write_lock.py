"""A write that cannot get the database within the busy timeout is refused whole: a 503 with
Retry-After, nothing stored, and the writer takes the next writes once the lock is free."""

import fcntl
import os
from pathlib import Path
from typing import Any

import pytest
from quart import Quart

from quart_pizza import create_app
from quart_pizza.store import StoreUnavailableError
from quart_pizza.store.sqlite.migrate import migrate
from quart_pizza.store.sqlite.write_lock import WriteLock, WriteLockTimeoutError
from quart_pizza.store.sqlite.writer import Writer

from ...database import SqliteDatabase
from ...helpers import OrderActions


class HeldByAnotherProcess:
    """The write lock file held as another worker would hold it (flock is per open file)."""

    def __init__(self, database: Path) -> None:
        self.fd = os.open(WriteLock(database).path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self.fd, fcntl.LOCK_EX)

    def release(self) -> None:
        os.close(self.fd)


async def test_the_lock_gives_up_after_its_timeout(tmp_path: Path) -> None:
    database = tmp_path / "db.sqlite3"
    held = HeldByAnotherProcess(database)
    lock = WriteLock(database)
    lock.open()
    try:
        with pytest.raises(WriteLockTimeoutError):
            lock.acquire(0.05)
        held.release()
        lock.acquire(0.05)
        lock.release()
    finally:
        lock.close()


async def test_a_writer_refuses_a_batch_it_cannot_lock_then_goes_on(tmp_path: Path) -> None:
    database = tmp_path / "db.sqlite3"
    await migrate(database)
    writer = Writer(database, WriteLock(database), busy_timeout=0.1)
    await writer.open()
    held = HeldByAnotherProcess(database)
    try:
        with pytest.raises(StoreUnavailableError, match="busy"):
            await writer.write(
                lambda conn: conn.execute("INSERT INTO orders (guest_key) VALUES ('x')")
            )
        held.release()
        await writer.write(lambda conn: conn.execute("INSERT INTO orders (guest_key) VALUES ('y')"))
    finally:
        await writer.close()
    assert await SqliteDatabase.file(database).count_orders() == 1


@pytest.mark.parametrize("setting", [{"DATABASE_BUSY_TIMEOUT": 0.2},
                                     {"DATABASE_BUSY_TIMEOUT_MS": 200}])  # fmt: skip
async def test_an_order_that_cannot_get_the_lock_is_a_503_and_stores_nothing(
    config: dict[str, Any], setting: dict[str, Any]
) -> None:
    app: Quart = create_app(config | setting)
    async with app.test_app():
        database = app.extensions["quart_pizza.store"].path
        orders = OrderActions(app.test_client())
        held = HeldByAnotherProcess(database)
        try:
            response = await orders.place()
        finally:
            held.release()
        assert response.status_code == 503
        assert response.headers["Retry-After"]
        assert "Nothing was stored" in await response.get_data(as_text=True)
        assert await SqliteDatabase.file(database).count_orders() == 0
        assert (await orders.place()).status_code == 303
