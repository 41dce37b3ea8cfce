"""The one writer of a worker process: group commit in a thread of its own.

Every write goes through `Writer.write(job)`: jobs wait in a queue, and a writer task hands
each batch of waiting jobs to the writer thread, which runs them all in one `BEGIN IMMEDIATE`
transaction, commits once (group commit) and then answers the callers in one callback on the
event loop. A failing job rolls back alone (the batch is then run again with a savepoint per
job), and a caller is answered only after the transaction holding its job has committed. No
request ever holds a transaction itself, so concurrent requests never share one.

The writer is a dedicated thread owning a stdlib `sqlite3` connection rather than an aiosqlite
connection: aiosqlite runs every statement as a separate hop to its thread and has no public
way to run several statements in one hop, so a batch would cost a hop per statement instead of
one per batch. Write jobs are therefore plain functions of a `sqlite3.Connection`; they run in
that thread, never on the event loop.
"""

import asyncio
import logging
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from ..errors import StoreUnavailableError
from .connect import connect
from .write_lock import WriteLock, WriteLockTimeoutError

log = logging.getLogger(__name__)

# Jobs committed together at most; bounds how long one transaction holds the write lock.
MAX_BATCH: Final = 256

type Job[T] = Callable[[sqlite3.Connection], T]


@dataclass
class _Queued[T]:
    work: Job[T]
    future: asyncio.Future[T]


@dataclass
class Outcome:
    value: Any = None
    error: Exception | None = None


class Writer:
    """Group-committed writes to one SQLite file, serialised with other processes by `lock`."""

    def __init__(self, path: Path, lock: WriteLock, *, busy_timeout: float = 5.0) -> None:
        self.path = path
        self._lock = lock
        self._busy_timeout = busy_timeout
        self._jobs: asyncio.Queue[_Queued[Any] | None] = asyncio.Queue()
        self._thread: ThreadPoolExecutor | None = None
        self._conn: sqlite3.Connection | None = None
        self._task: asyncio.Task[None] | None = None

    async def open(self) -> None:
        self._jobs = asyncio.Queue()  # of this event loop (a CLI command runs one per command)
        self._lock.open()
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="quart_pizza-writer")
        self._conn = await self._in_thread(
            lambda: connect(self.path, busy_timeout_ms=int(self._busy_timeout * 1000))
        )
        self._task = asyncio.create_task(self._write_loop(), name="quart_pizza-writer")

    async def close(self) -> None:
        """Finish the writes already queued, then close the connection."""
        if self._task is not None:
            self._jobs.put_nowait(None)
            await self._task
            self._task = None
        if self._conn is not None:
            await self._in_thread(self._conn.close)
            self._conn = None
        if self._thread is not None:
            self._thread.shutdown()
            self._thread = None
        self._lock.close()

    @property
    def running(self) -> bool:
        """True while the writer task takes jobs."""
        return self._task is not None and not self._task.done()

    async def write[T](self, work: Job[T]) -> T:
        """Run `work(conn)` in the writer thread inside a committed transaction; its result.

        If the caller is cancelled (the client went away), the job still commits or rolls
        back as a whole.
        """
        if not self.running:
            raise StoreUnavailableError("the database is not open")
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._jobs.put_nowait(_Queued(work, future))
        # No asyncio.shield: a cancelled caller cancels only this future; the writer runs
        # the job all the same and skips a future already done.
        return await future

    async def _in_thread[T](self, function: Callable[[], T]) -> T:
        assert self._thread is not None
        return await asyncio.get_running_loop().run_in_executor(self._thread, function)

    async def _write_loop(self) -> None:
        stopping = False
        while not stopping:
            first = await self._jobs.get()
            if first is None:
                break
            batch: list[_Queued[Any]] = [first]
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
                job.future.set_exception(StoreUnavailableError("the database is closing"))

    async def _commit_batch(self, batch: list[_Queued[Any]]) -> None:
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
            except WriteLockTimeoutError as exc:
                log.warning("write of %d jobs refused: %s", len(batch), exc)
                error = StoreUnavailableError("the database is busy; nothing was stored")
                error.__cause__ = exc
                outcomes = [Outcome(error=error)] * len(batch)
            except BaseException as exc:  # the batch's callers must hear of it, whatever it is
                log.error("write transaction of %d jobs failed", len(batch), exc_info=exc)
                error = StoreUnavailableError("the database could not store the change")
                error.__cause__ = exc
                outcomes = [Outcome(error=error)] * len(batch)
            loop.call_soon_threadsafe(settle, batch, outcomes, settled)

        self._thread.submit(run_and_settle)
        await settled

    def _run_batch(self, works: list[Job[Any]]) -> list[Outcome]:
        """In the writer thread: one transaction for the whole batch, then one commit.

        Jobs run back to back, with no savepoint each: every statement costs this thread a
        round of the GIL against the busy event loop. If a job fails, the transaction is
        rolled back and the batch runs again with a savepoint around each job, so that only
        the failing job is undone. (Jobs therefore must touch nothing but the database.)
        """
        conn = self._conn
        assert conn is not None
        self._lock.acquire(self._busy_timeout)
        try:
            outcomes = run_transaction(conn, works, savepoints=False)
            if any(outcome.error is not None for outcome in outcomes) and len(works) > 1:
                outcomes = run_transaction(conn, works, savepoints=True)
        finally:
            self._lock.release()
        return outcomes


def settle(
    batch: list[_Queued[Any]], outcomes: list[Outcome], settled: asyncio.Future[None]
) -> None:
    """On the event loop: answer every caller of the batch."""
    for job, outcome in zip(batch, outcomes, strict=True):
        if job.future.done():  # only if its caller went away; the write is committed
            continue
        if outcome.error is not None:
            job.future.set_exception(outcome.error)
        else:
            job.future.set_result(outcome.value)
    if not settled.done():  # the writer task may have been cancelled meanwhile
        settled.set_result(None)


def run_transaction(
    conn: sqlite3.Connection, works: list[Job[Any]], *, savepoints: bool
) -> list[Outcome]:
    outcomes = []
    conn.execute("BEGIN IMMEDIATE")
    try:
        for work in works:
            if savepoints:
                conn.execute("SAVEPOINT job")
            try:
                outcomes.append(Outcome(value=work(conn)))
            except Exception as exc:
                if not savepoints:
                    conn.execute("ROLLBACK")
                    return [Outcome(error=exc)] * len(works)  # run again with savepoints
                conn.execute("ROLLBACK TO job")  # undo only this job's changes
                outcomes.append(Outcome(error=exc))
            if savepoints:
                conn.execute("RELEASE job")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return outcomes
