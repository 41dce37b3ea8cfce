"""The readers of a worker process: a few threads, each with a read-only connection of its own.

A read is a plain function of a `sqlite3.Connection` (an order with its items, a page of the
dashboard), run whole in one of the threads: one hop from the event loop and back per read,
where aiosqlite takes one per statement. Reads that queue up while the threads are busy are
run back to back by one thread and answered in one callback on the loop, so a busy worker pays
one wake-up of its loop for a whole group of them. Every statement runs in autocommit (WAL):
it sees the latest commit and never blocks the writer.
"""

import asyncio
import queue
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

from ..errors import StoreUnavailableError
from .connect import connect

# Reads answered in one callback at most, so a second thread can take a long queue's rest.
MAX_BATCH: Final = 32

# SQLite's result codes for a database that cannot serve now, whatever the statement.
UNAVAILABLE_ERRORS: Final = (
    "SQLITE_BUSY",
    "SQLITE_LOCKED",
    "SQLITE_IOERR",
    "SQLITE_FULL",
    "SQLITE_CANTOPEN",
    "SQLITE_CORRUPT",
    "SQLITE_NOTADB",
    "SQLITE_PROTOCOL",
)

type Read[T] = Callable[[sqlite3.Connection], T]
type _Queued = tuple[Read[Any], asyncio.Future[Any]] | None


class Readers:
    """`count` reader threads on the SQLite file at `path`."""

    def __init__(self, path: Path, *, count: int = 2, busy_timeout_ms: int = 5000) -> None:
        self.path = path
        self._count = count
        self._busy_timeout_ms = busy_timeout_ms
        self._queue: queue.SimpleQueue[_Queued] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._open = False

    async def open(self) -> None:
        loop = asyncio.get_running_loop()
        started = [loop.create_future() for _ in range(self._count)]
        for number, ready in enumerate(started):
            thread = threading.Thread(
                target=self._serve,
                args=(loop, ready),
                name=f"quart_pizza-reader-{number}",
                daemon=True,  # never keeps the interpreter alive; close() ends them in order
            )
            thread.start()
            self._threads.append(thread)
        await asyncio.gather(*started)
        self._open = True

    async def close(self) -> None:
        """Answer the reads already queued, then end the threads and their connections."""
        self._open = False
        for _ in self._threads:
            self._queue.put(None)
        threads, self._threads = self._threads, []
        await asyncio.to_thread(_join_all, threads)
        self._refuse_queued()

    async def read[T](self, work: Read[T]) -> T:
        """`work(conn)` on one of the reader connections; its result."""
        if not self._open:
            raise StoreUnavailableError("the database is not open")
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queue.put((work, future))
        return await future

    def _serve(self, loop: asyncio.AbstractEventLoop, ready: asyncio.Future[None]) -> None:
        """A reader thread: open the connection, then run reads until told to stop."""
        try:
            conn = connect(self.path, busy_timeout_ms=self._busy_timeout_ms, read_only=True)
        except BaseException as exc:
            loop.call_soon_threadsafe(_settle_one, ready, None, exc)
            return
        loop.call_soon_threadsafe(_settle_one, ready, None, None)
        try:
            stopping = False
            while not stopping:
                first = self._queue.get()
                if first is None:
                    break
                batch = [first]
                while len(batch) < MAX_BATCH:
                    try:
                        queued = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if queued is None:
                        stopping = True
                        break
                    batch.append(queued)
                answers = [_run(conn, work) for work, _ in batch]
                try:
                    loop.call_soon_threadsafe(_settle, batch, answers)
                except RuntimeError:  # the loop is closed: nobody is waiting any more
                    return
        finally:
            conn.close()

    def _refuse_queued(self) -> None:
        while True:
            try:
                queued = self._queue.get_nowait()
            except queue.Empty:
                return
            if queued is not None and not queued[1].done():
                queued[1].set_exception(StoreUnavailableError("the database is closed"))


def unavailable(error: sqlite3.Error) -> bool:
    """True for errors of the database rather than of the statement: locked, I/O, full, gone."""
    name = getattr(error, "sqlite_errorname", "")
    if not name and str(error) == "database is locked":
        return True  # raised by the module itself, without an SQLite error code
    return name.startswith(UNAVAILABLE_ERRORS)


def _join_all(threads: list[threading.Thread]) -> None:
    for thread in threads:
        thread.join()


def _run(conn: sqlite3.Connection, work: Read[Any]) -> tuple[Any, BaseException | None]:
    try:
        return work(conn), None
    except sqlite3.Error as exc:
        if not unavailable(exc):
            return None, exc
        error = StoreUnavailableError("the database could not be read")
        error.__cause__ = exc
        return None, error
    except Exception as exc:
        return None, exc


def _settle_one(future: asyncio.Future[Any], value: Any, error: BaseException | None) -> None:
    if future.done():  # its caller went away
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(value)


def _settle(
    batch: list[tuple[Read[Any], asyncio.Future[Any]]],
    answers: list[tuple[Any, BaseException | None]],
) -> None:
    for (_, future), (value, error) in zip(batch, answers, strict=True):
        _settle_one(future, value, error)
