"""A lock file that serialises the write transactions of every process on one database.

Without it, two workers colliding on SQLite's own write lock wait in its busy handler, which
sleeps in growing steps of up to 100 ms. Here a writer that finds the lock taken looks again
every half millisecond, and gives up after the busy timeout: its batch is refused whole
(nothing stored) rather than waiting forever behind a stuck process.
"""

import fcntl
import os
import time
from pathlib import Path
from typing import Final

POLL_SECONDS: Final = 0.0005


class WriteLockTimeoutError(TimeoutError):
    """Another process held the write lock for longer than the busy timeout."""


class WriteLock:
    """`<database>.write-lock`, held by the writer thread around each transaction."""

    def __init__(self, database: Path) -> None:
        self.path = database.with_name(database.name + ".write-lock")
        self._fd: int | None = None

    def open(self) -> None:
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def acquire(self, timeout: float) -> None:
        """Take the lock within `timeout` seconds, or raise `WriteLockTimeoutError`.

        Blocks: call it from the writer thread, never from the event loop.
        """
        assert self._fd is not None, "the write lock is not open"
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise WriteLockTimeoutError(
                        f"{self.path} was held by another process for over {timeout:g} s"
                    ) from None
                time.sleep(POLL_SECONDS)

    def release(self) -> None:
        assert self._fd is not None
        fcntl.flock(self._fd, fcntl.LOCK_UN)
