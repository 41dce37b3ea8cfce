"""Connections to SQLite for one worker process: a pool of readers and a single writer.

Reads borrow one of a few long-lived aiosqlite connections. Every write goes through
`Database.write(job)`: jobs wait in a queue, and a writer task hands each batch of waiting
jobs to the writer thread, which runs them all in one `BEGIN IMMEDIATE` transaction, commits
once (group commit) and then answers the callers in one callback on the event loop. A
failing job rolls back alone (the batch is then run again with a savepoint per job), and a
request is answered only after the transaction holding its job has committed. No request
ever holds a transaction itself, so concurrent requests never share one.

The writer is a dedicated thread owning a stdlib `sqlite3` connection rather than an aiosqlite
connection: aiosqlite runs every statement as a separate hop to its thread (~0.1 ms each) and
has no public way to run several statements in one hop, so a batch would cost four hops per
order instead of one hop per batch. Write jobs are therefore plain functions taking a
`sqlite3.Connection`; they run in that thread, never on the event loop.

A lock file serialises the write transactions of all worker processes: without it, two
workers colliding on SQLite's write lock wait in its busy handler, which sleeps in growing
steps of up to 100 ms.
"""

import asyncio
import fcntl
import logging
import os
import sqlite3
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import aiosqlite
from quart import Quart, current_app

from .migrations import migrate
from .sqlite import connect, connect_sync

log = logging.getLogger(__name__)

# Jobs committed together at most; bounds how long one transaction holds the write lock.
MAX_BATCH: Final = 256

type WriteJob[T] = Callable[[sqlite3.Connection], T]


class DatabaseUnavailableError(RuntimeError):
    """The database could not take the work (closed, locked too long, or failing)."""


@dataclass
class _Job[T]:
    work: WriteJob[T]
    future: asyncio.Future[T]


@dataclass
class _Outcome:
    value: Any = None
    error: Exception | None = None


class Database:
    """The connections of one worker; open it in `before_serving`, close it after."""

    def __init__(self, path: Path, *, readers: int = 2, busy_timeout_ms: int = 5000) -> None:
        self.path = path
        self._reader_count = readers
        self._busy_timeout_ms = busy_timeout_ms
        # A request waits for a reader in turn: an asyncio.Queue lets a newcomer take a
        # returned connection before the waiter it woke, which piled up long tails.
        self._reader_slots = asyncio.Semaphore(readers)
        self._idle_readers: list[aiosqlite.Connection] = []
        self._all_readers: list[aiosqlite.Connection] = []
        self._jobs: asyncio.Queue[_Job[Any] | None] = asyncio.Queue()
        self._thread: ThreadPoolExecutor | None = None
        self._writer: sqlite3.Connection | None = None
        self._writer_task: asyncio.Task[None] | None = None
        self._lock_fd: int | None = None

    async def open(self) -> None:
        lock_path = self.path.with_name(self.path.name + ".write-lock")
        self._lock_fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="quart_pizza-writer")
        self._writer = await self._in_writer_thread(connect_sync, self.path, self._busy_timeout_ms)
        for _ in range(self._reader_count):
            reader = await connect(self.path, busy_timeout_ms=self._busy_timeout_ms)
            # Readers never write: a bug that tries gets an error instead of a second writer.
            await reader.execute("PRAGMA query_only = ON")
            self._all_readers.append(reader)
            self._idle_readers.append(reader)
        self._writer_task = asyncio.create_task(self._write_loop(), name="quart_pizza-writer")

    async def close(self) -> None:
        """Finish the writes already queued, then close every connection."""
        if self._writer_task is not None:
            self._jobs.put_nowait(None)
            await self._writer_task
            self._writer_task = None
        if self._writer is not None:
            await self._in_writer_thread(self._writer.close)
            self._writer = None
        if self._thread is not None:
            self._thread.shutdown()
            self._thread = None
        for reader in self._all_readers:
            await reader.close()
        self._all_readers.clear()
        self._idle_readers.clear()
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    @property
    def writing(self) -> bool:
        """True while the writer task takes jobs."""
        return self._writer_task is not None and not self._writer_task.done()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[aiosqlite.Connection]:
        """Borrow a reader connection (autocommit: each statement sees the latest commit)."""
        async with self._reader_slots:
            if not self._all_readers:  # not open yet, or closed while this request waited
                raise DatabaseUnavailableError("the database is not open")
            conn = self._idle_readers.pop()
            try:
                yield conn
            finally:
                if conn in self._all_readers:  # a connection closed meanwhile is not reused
                    self._idle_readers.append(conn)

    async def write[T](self, work: WriteJob[T]) -> T:
        """Run `work(conn)` in the writer thread inside a committed transaction; its result.

        If the caller is cancelled (the client went away), the job still commits or rolls
        back as a whole.
        """
        if not self.writing:
            raise DatabaseUnavailableError("the database is not open")
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._jobs.put_nowait(_Job(work, future))
        # No asyncio.shield: a cancelled caller cancels only this future; the writer runs
        # the job all the same and skips a future already done.
        return await future

    async def _in_writer_thread[T](self, function: Callable[..., T], *args: Any) -> T:
        assert self._thread is not None
        return await asyncio.get_running_loop().run_in_executor(self._thread, function, *args)

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
        """Run the batch in the writer thread; its callers are answered as it commits.

        The thread settles the callers' futures itself, in one callback on the loop, rather
        than through this task: each hop through the loop is a wait behind every other
        ready request, so callers resume one turn of the loop after their commit.
        """
        assert self._thread is not None
        loop = asyncio.get_running_loop()
        settled: asyncio.Future[None] = loop.create_future()

        def run_and_settle() -> None:
            try:
                outcomes = self._run_batch([job.work for job in batch])
            except BaseException as exc:  # the batch's callers must hear of it, whatever it is
                log.error("write transaction of %d jobs failed", len(batch), exc_info=exc)
                error = DatabaseUnavailableError("the database could not store the change")
                error.__cause__ = exc
                outcomes = [_Outcome(error=error)] * len(batch)
            loop.call_soon_threadsafe(self._settle_batch, batch, outcomes, settled)

        self._thread.submit(run_and_settle)
        await settled

    @staticmethod
    def _settle_batch(
        batch: list[_Job[Any]], outcomes: list[_Outcome], settled: asyncio.Future[None]
    ) -> None:
        for job, outcome in zip(batch, outcomes, strict=True):
            if job.future.done():  # only if its caller went away; the write is committed
                continue
            if outcome.error is not None:
                job.future.set_exception(outcome.error)
            else:
                job.future.set_result(outcome.value)
        if not settled.done():  # the writer task may have been cancelled meanwhile
            settled.set_result(None)

    def _run_batch(self, works: list[WriteJob[Any]]) -> list[_Outcome]:
        """In the writer thread: one transaction for the whole batch, then one commit.

        Jobs run back to back, with no savepoint each: every statement costs this thread a
        round of the GIL against the busy event loop. If a job fails, the transaction is
        rolled back and the batch runs again with a savepoint around each job, so that only
        the failing job is undone. (Jobs therefore must touch nothing but the database.)
        """
        conn, fd = self._writer, self._lock_fd
        assert conn is not None and fd is not None
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            outcomes = self._run_transaction(conn, works, savepoints=False)
            if any(outcome.error is not None for outcome in outcomes) and len(works) > 1:
                outcomes = self._run_transaction(conn, works, savepoints=True)
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
        return outcomes

    @staticmethod
    def _run_transaction(
        conn: sqlite3.Connection, works: list[WriteJob[Any]], *, savepoints: bool
    ) -> list[_Outcome]:
        outcomes = []
        conn.execute("BEGIN IMMEDIATE")
        try:
            for work in works:
                if savepoints:
                    conn.execute("SAVEPOINT job")
                try:
                    outcomes.append(_Outcome(value=work(conn)))
                except Exception as exc:
                    if not savepoints:
                        conn.execute("ROLLBACK")
                        return [_Outcome(error=exc)] * len(works)  # run again with savepoints
                    conn.execute("ROLLBACK TO job")  # undo only this job's changes
                    outcomes.append(_Outcome(error=exc))
                if savepoints:
                    conn.execute("RELEASE job")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return outcomes


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
