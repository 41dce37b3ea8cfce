"""Interpreter settings for a serving worker, each measured with the benchmark (bench/)."""

import gc
import sys

from quart import Quart


def init_app(app: Quart) -> None:
    """Tune the interpreter once the worker has started (not in tests' or the CLI's process)."""

    @app.before_serving
    async def tune_interpreter() -> None:
        if not app.config["TUNE_INTERPRETER"]:
            return
        # A thread waiting for the GIL gets it after the switch interval (5 ms by default). The
        # database writer thread takes the GIL back after every SQLite call; against a busy
        # event loop each batch then held the write lock for milliseconds per job. 0.2 ms cut
        # the median hold of a batch from 3-5 ms to 1.3-1.5 ms at 256 connections.
        sys.setswitchinterval(app.config["GIL_SWITCH_INTERVAL"])
        # Everything alive after start-up (modules, app, templates) lives as long as the
        # worker: freeze it out of the collector's way, and collect the young generation less
        # often. p99 at 64 connections went from 91-92 ms to 58-63 ms (quick bench, 2 runs).
        gc.freeze()
        gc.set_threshold(app.config["GC_GEN0_THRESHOLD"], 20, 100)
