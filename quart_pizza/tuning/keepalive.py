"""hypercorn's keep-alive timeout as a timer of the event loop instead of a task per request.

hypercorn's asyncio server keeps, for each connection, an idle task that sleeps for
`keep_alive_timeout` (or until the worker stops) and then closes the connection. It starts a
new such task after every response, and when the next request arrives it cancels the task
and waits for it to end before it creates the request's stream. So every request costs a task
started and cancelled, and two turns of a busy event loop before its view is even scheduled.

`install()` makes hypercorn's TCP server use `IdleTimer`: the same timeout as a timer handle of
the event loop, armed after each response and cancelled when a request arrives, and fired at
once for every idle connection when the worker stops, as hypercorn's task would. It replaces a
name in a hypercorn module, so it checks first that the module still has the shape it relies
on; if not, it leaves hypercorn alone (tests/tuning/test_keepalive.py catches that).
"""

import asyncio
import logging
import weakref
from collections.abc import Callable
from functools import partial
from typing import Any, Protocol

from hypercorn.asyncio import tcp_server

log = logging.getLogger(__name__)


class _Context(Protocol):
    terminated: Any  # hypercorn's event, set when the worker stops


class _Connection(Protocol):
    """What `IdleTimer` uses of hypercorn's `TCPServer`."""

    config: Any
    context: _Context

    async def _initiate_server_close(self) -> None: ...


class _Spawner(Protocol):
    def spawn(self, func: Callable[..., Any], *args: Any) -> None: ...


class IdleTimer:
    """A connection's idle timeout: hypercorn's `AsyncioSingleTask` as `TCPServer` uses it."""

    # The armed timers of each worker (hypercorn's context), fired at once when it stops.
    _armed_by_worker: "weakref.WeakKeyDictionary[_Context, set[IdleTimer]]" = (
        weakref.WeakKeyDictionary()
    )
    _watchers: set[asyncio.Task[None]] = set()

    def __init__(self) -> None:
        self._handle: asyncio.TimerHandle | None = None
        # Bound at the first restart: a connection keeps its server, worker and task group.
        self._close: Callable[[], None] | None = None
        self._terminated: Any = None
        self._timeout = 0.0
        self._armed: set[IdleTimer] = set()

    async def restart(self, task_group: _Spawner, action: Callable[[], Any]) -> None:
        """Arm the timer; `action` is the server's own idle coroutine function, not run here."""
        self._disarm()
        if self._close is None:
            connection: _Connection = action.__self__  # type: ignore[attr-defined]
            # What hypercorn's idle task does once its time is up.
            self._close = partial(task_group.spawn, connection._initiate_server_close)
            self._terminated = connection.context.terminated
            self._timeout = connection.config.keep_alive_timeout
            self._armed = self._armed_of(connection.context)
        if self._terminated.is_set():
            self._close()
            return
        self._handle = asyncio.get_running_loop().call_later(self._timeout, self._fire)
        self._armed.add(self)

    async def stop(self) -> None:
        self._disarm()

    def _disarm(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
            self._armed.discard(self)

    def _fire(self) -> None:
        self._disarm()
        assert self._close is not None  # armed only after binding
        self._close()

    @classmethod
    def _armed_of(cls, context: _Context) -> "set[IdleTimer]":
        """The armed timers of the worker `context` belongs to, watched for its stop."""
        armed = cls._armed_by_worker.get(context)
        if armed is None:
            armed = cls._armed_by_worker[context] = set()

            async def close_idle_connections_on_stop() -> None:
                await context.terminated.wait()
                for timer in list(armed):
                    timer._fire()

            task = asyncio.get_running_loop().create_task(close_idle_connections_on_stop())
            cls._watchers.add(task)
            task.add_done_callback(cls._watchers.discard)
        return armed


def install() -> bool:
    """Make hypercorn's asyncio TCP server use `IdleTimer`; False if its code has changed."""
    server = getattr(tcp_server, "TCPServer", None)
    fits = (
        getattr(tcp_server, "AsyncioSingleTask", None) is not None
        and server is not None
        and callable(getattr(server, "_idle_timeout", None))
        and callable(getattr(server, "_initiate_server_close", None))
    )
    if not fits:
        log.warning("hypercorn's TCP server has changed: its own keep-alive tasks stay in use")
        return False
    tcp_server.AsyncioSingleTask = IdleTimer  # type: ignore[assignment,attr-defined]
    return True
