"""Connections to SQLite for one worker process: a pool of readers and a single writer task.

Every write goes through `Database.write`: a queue feeds one task that owns the writer
connection and commits each batch of waiting jobs in one `BEGIN IMMEDIATE` transaction (group
commit). Each job runs inside its own savepoint, so a failing job rolls back alone, and a request
is answered only after the transaction holding its job has committed. No request ever holds a
transaction open itself, so concurrent requests never share one.
"""

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import aiosqlite
from quart import Quart, current_app

from .migrations import migrate
from .sqlite import connect

log = logging.getLogger(__name__)

# Jobs committed together at most; bounds how long one transaction holds the write lock.
MAX_BATCH: Final = 256

type WriteJob[T] = Callable[[aiosqlite.Connection], Awaitable[T]]


class DatabaseUnavailableError(RuntimeError):
    """The database could not take the work (closed, locked too long, or failing)."""


@dataclass
class _Job[T]:
    work: WriteJob[T]
    future: asyncio.Future[T]


class Database:
    """The connections of one worker; open it in `before_serving`, close it after."""

    def __init__(self, path: Path, *, readers: int = 2, busy_timeout_ms: int = 5000) -> None:
        self.path = path
        self._reader_count = readers
        self._busy_timeout_ms = busy_timeout_ms
        self._readers: asyncio.Queue[aiosqlite.Connection] = asyncio.Queue()
        self._all_readers: list[aiosqlite.Connection] = []
        self._jobs: asyncio.Queue[_Job[Any] | None] = asyncio.Queue()
        self._writer: aiosqlite.Connection | None = None
        self._writer_task: asyncio.Task[None] | None = None

    async def open(self) -> None:
        self._writer = await connect(self.path, busy_timeout_ms=self._busy_timeout_ms)
        for _ in range(self._reader_count):
            reader = await connect(self.path, busy_timeout_ms=self._busy_timeout_ms)
            # Readers never write: a bug that tries gets an error instead of a second writer.
            await reader.execute("PRAGMA query_only = ON")
            self._all_readers.append(reader)
            self._readers.put_nowait(reader)
        self._writer_task = asyncio.create_task(self._write_loop(), name="quart_pizza-writer")

    async def close(self) -> None:
        """Finish the writes already queued, then close every connection."""
        if self._writer_task is not None:
            self._jobs.put_nowait(None)
            await self._writer_task
            self._writer_task = None
        if self._writer is not None:
            await self._writer.close()
            self._writer = None
        for reader in self._all_readers:
            await reader.close()
        self._all_readers.clear()

    @property
    def writing(self) -> bool:
        """True while the writer task takes jobs."""
        return self._writer_task is not None and not self._writer_task.done()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[aiosqlite.Connection]:
        """Borrow a reader connection (autocommit: each statement sees the latest commit)."""
        if not self._all_readers:
            raise DatabaseUnavailableError("the database is not open")
        conn = await self._readers.get()
        try:
            yield conn
        finally:
            self._readers.put_nowait(conn)

    async def write[T](self, work: WriteJob[T]) -> T:
        """Run `work` inside a committed write transaction and return its result.

        The job runs in the writer task: if the caller is cancelled (the client went away),
        the job still commits or rolls back as a whole.
        """
        if not self.writing:
            raise DatabaseUnavailableError("the database is not open")
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._jobs.put_nowait(_Job(work, future))
        return await asyncio.shield(future)

    async def _write_loop(self) -> None:
        stopping = False
        while not stopping:
            first = await self._jobs.get()
            if first is None:
                break
            batch: list[_Job[Any]] = [first]
            while len(batch) < MAX_BATCH and not self._jobs.empty():
                job = self._jobs.get_nowait()
                if job is None:
                    stopping = True
                    break
                batch.append(job)
            await self._commit_batch(batch)
        # Anything queued after close() began is refused rather than left waiting forever.
        while not self._jobs.empty():
            job = self._jobs.get_nowait()
            if job is not None and not job.future.done():
                job.future.set_exception(DatabaseUnavailableError("the database is closing"))

    async def _commit_batch(self, batch: list[_Job[Any]]) -> None:
        conn = self._writer
        assert conn is not None
        outcomes: list[tuple[_Job[Any], Any, Exception | None]] = []
        try:
            await conn.execute("BEGIN IMMEDIATE")
            for job in batch:
                await conn.execute("SAVEPOINT job")
                try:
                    value = await job.work(conn)
                except Exception as exc:  # the job's own failure: undo only its changes
                    await conn.execute("ROLLBACK TO job")
                    outcomes.append((job, None, exc))
                else:
                    outcomes.append((job, value, None))
                await conn.execute("RELEASE job")
            await conn.execute("COMMIT")
        except Exception as exc:
            log.exception("write transaction of %d jobs failed", len(batch))
            if conn.in_transaction:
                try:
                    await conn.execute("ROLLBACK")
                except Exception:
                    log.exception("rollback failed")
            error = DatabaseUnavailableError("the database could not store the change")
            error.__cause__ = exc
            for job in batch:
                if not job.future.done():
                    job.future.set_exception(error)
            return
        for job, value, job_error in outcomes:
            if job.future.done():  # only if its caller went away; the write is committed
                continue
            if job_error is not None:
                job.future.set_exception(job_error)
            else:
                job.future.set_result(value)


def init_app(app: Quart, path: Path) -> None:
    """Migrate and open the database when the worker starts; close it when it stops."""
    database = Database(
        path,
        readers=app.config["DATABASE_READERS"],
        busy_timeout_ms=app.config["DATABASE_BUSY_TIMEOUT_MS"],
    )
    app.extensions["quart_pizza.db"] = database

    @app.before_serving
    async def open_database() -> None:
        await migrate(path)
        await database.open()

    @app.after_serving
    async def close_database() -> None:
        await database.close()


def get_db() -> Database:
    """The current app's database."""
    database: Database = current_app.extensions["quart_pizza.db"]
    return database
