"""Process-wide interpreter settings for a serving worker."""

import gc
import sys


def set_switch_interval(seconds: float) -> None:
    """How soon a thread waiting for the GIL gets it (Python's default is 5 ms).

    The database threads take the GIL back after every SQLite call; against a busy event loop
    each wait is up to one interval, so a shorter one shortens how long a write transaction
    (and with it the write lock) is held.
    """
    sys.setswitchinterval(seconds)


def freeze_startup_objects() -> None:
    """Move everything alive after start-up (modules, the app, templates) out of the garbage
    collector's way: it lives as long as the worker, and each full collection would walk it."""
    gc.collect()
    gc.freeze()
