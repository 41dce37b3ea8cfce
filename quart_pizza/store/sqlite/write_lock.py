"""A lock file that serialises the write transactions of every process on one database.

Without it, two workers colliding on SQLite's own write lock wait in its busy handler, which
sleeps in growing steps of up to 100 ms; `flock` wakes the next holder as soon as it is free.
"""

import fcntl
import os
from pathlib import Path


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

    def acquire(self) -> None:
        """Wait for the lock (blocks: call it from the writer thread, never the event loop)."""
        assert self._fd is not None, "the write lock is not open"
        fcntl.flock(self._fd, fcntl.LOCK_EX)

    def release(self) -> None:
        assert self._fd is not None
        fcntl.flock(self._fd, fcntl.LOCK_UN)
