"""Open streams end as soon as a hypercorn worker starts to stop.

A Server-Sent Events stream never closes by itself, and hypercorn 0.18 tells the app that a
worker stops (lifespan shutdown) only once every connection has closed: on the asyncio loop
(Python 3.12 and later) `asyncio.Server.wait_closed()` waits for them before
`graceful_timeout` even applies, so one open stream holds the stop forever; on uvloop
(hypercorn.toml) the stop waits the whole `graceful_timeout` (10 s), then cuts the streams
mid-body. Measured in tests/tuning/test_worker_stop.py. This gives hypercorn a worker context whose
`terminated` event, set the moment the worker starts to stop, also calls the app's stop
callbacks (the live updates end their streams); the browsers reconnect to another worker.
"""

import logging
import weakref
from collections.abc import Callable
from typing import Any

from hypercorn.asyncio import run as hypercorn_run
from hypercorn.asyncio import worker_context

log = logging.getLogger(__name__)

# What to call when this process's worker starts to stop (weakly: an app may go away).
_on_stop: list[weakref.WeakMethod[Callable[[], None]]] = []


class _StopNotice(worker_context.EventWrapper):
    async def set(self) -> None:
        await super().set()
        for reference in list(_on_stop):
            callback = reference()
            if callback is not None:
                callback()


class StopNoticeWorkerContext(worker_context.WorkerContext):
    """hypercorn's worker context, whose `terminated` event calls the stop callbacks."""

    def __init__(self, max_requests: int | None) -> None:
        super().__init__(max_requests)
        self.terminated = _StopNotice()


def fits() -> bool:
    """True if hypercorn still makes its worker context from this module's class."""
    context_class: Any = getattr(hypercorn_run, "WorkerContext", None)
    return (
        isinstance(context_class, type)
        and issubclass(context_class, worker_context.WorkerContext)
        and callable(getattr(worker_context.EventWrapper, "set", None))
    )


def install(callback: Callable[[], None]) -> bool:
    """Call `callback` (a bound method) when the worker starts to stop; False if hypercorn's
    code has changed (then streams hold a stop until their clients leave)."""
    if not fits():
        log.warning("hypercorn's worker context has changed: streams end only with clients")
        return False
    hypercorn_run.WorkerContext = StopNoticeWorkerContext  # type: ignore[attr-defined]
    _on_stop[:] = [reference for reference in _on_stop if reference() is not None]
    _on_stop.append(weakref.WeakMethod(callback))
    return True
