"""Live updates: each worker learns of the order events every worker commits and passes them
to its open streams.

One watcher per worker (the store's `watch`: on SQLite, a poll of `PRAGMA data_version` a few
times a second, then one read of the new events) feeds `LiveUpdates`, which hands each event
to the streams that want it: the customer's order page follows one order, the kitchen board
follows them all. A stream never reads the database while it waits; it reads it once when it
opens, to catch up from the browser's `Last-Event-ID`.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Hashable
from dataclasses import dataclass, field
from typing import Final

from quart import Quart, current_app

from .models.status import OrderEvent
from .store import Store

log = logging.getLogger(__name__)

KITCHEN: Final = "kitchen"
QUEUE_SIZE: Final = 64  # events a slow stream may fall behind before it is ended


class TooManyStreamsError(Exception):
    """This session has as many streams open (in this worker) as it may."""


@dataclass(eq=False)
class Subscription:
    """What one open stream receives: its events, then None when it must end."""

    topic: Hashable
    session_key: str
    queue: asyncio.Queue[OrderEvent | None] = field(
        default_factory=lambda: asyncio.Queue(QUEUE_SIZE)
    )

    async def next(self, timeout: float) -> OrderEvent | None:
        """The next event; raises TimeoutError after `timeout` seconds without one."""
        return await asyncio.wait_for(self.queue.get(), timeout)

    def end(self) -> None:
        with contextlib.suppress(asyncio.QueueFull):
            self.queue.put_nowait(None)


class LiveUpdates:
    """The open streams of one worker, and the watcher that feeds them."""

    def __init__(self, store: Store, *, poll_seconds: float, streams_per_session: int) -> None:
        self._store = store
        self._poll = poll_seconds
        self._per_session = streams_per_session
        self._topics: dict[Hashable, set[Subscription]] = {}
        self._sessions: dict[str, int] = {}
        self._task: asyncio.Task[None] | None = None
        self.closed = False

    @property
    def open_streams(self) -> int:
        return sum(len(subscriptions) for subscriptions in self._topics.values())

    async def start(self) -> None:
        self.closed = False
        self._task = asyncio.create_task(self._watch(), name="quart_pizza-live")

    async def stop(self) -> None:
        """End every open stream at once (the worker is stopping), and the watcher."""
        self.close()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def close(self) -> None:
        """End every open stream now; new ones are refused. Safe to call more than once."""
        self.closed = True
        for subscriptions in self._topics.values():
            for subscription in subscriptions:
                subscription.end()

    def open(self, topic: Hashable, session_key: str) -> Subscription:
        """Follow `topic` (an order id, or KITCHEN) until `release`."""
        if self._sessions.get(session_key, 0) >= self._per_session:
            raise TooManyStreamsError(f"at most {self._per_session} open streams per session")
        subscription = Subscription(topic, session_key)
        self._topics.setdefault(topic, set()).add(subscription)
        self._sessions[session_key] = self._sessions.get(session_key, 0) + 1
        if self.closed:
            subscription.end()
        return subscription

    def release(self, subscription: Subscription) -> None:
        """Stop following; safe to call more than once."""
        subscriptions = self._topics.get(subscription.topic)
        if subscriptions is None or subscription not in subscriptions:
            return
        subscriptions.discard(subscription)
        if not subscriptions:
            del self._topics[subscription.topic]
        left = self._sessions.get(subscription.session_key, 1) - 1
        if left:
            self._sessions[subscription.session_key] = left
        else:
            self._sessions.pop(subscription.session_key, None)

    def publish(self, event: OrderEvent) -> None:
        """Hand `event` to every stream that follows its order, and to the kitchen's."""
        for topic in (event.order_id, KITCHEN):
            for subscription in list(self._topics.get(topic, ())):
                try:
                    subscription.queue.put_nowait(event)
                except asyncio.QueueFull:
                    # Too far behind: end it; the browser reconnects and catches up from
                    # its Last-Event-ID.
                    while not subscription.queue.empty():
                        subscription.queue.get_nowait()
                    subscription.end()

    async def _watch(self) -> None:
        while True:
            try:
                async for batch in self._store.watch(self._poll):
                    for event in batch:
                        self.publish(event)
            except asyncio.CancelledError:
                raise
            except Exception:  # the database went away for a moment: look again soon
                log.exception("live updates: the watcher failed; starting it again")
                await asyncio.sleep(1)


def init_app(app: Quart, store: Store) -> LiveUpdates:
    live = LiveUpdates(
        store,
        poll_seconds=app.config["LIVE_POLL_SECONDS"],
        streams_per_session=app.config["STREAMS_PER_SESSION"],
    )
    app.extensions["quart_pizza.live"] = live

    @app.before_serving
    async def start_live_updates() -> None:
        await live.start()

    @app.after_serving
    async def stop_live_updates() -> None:
        await live.stop()

    return live


def get_live() -> LiveUpdates:
    live: LiveUpdates = current_app.extensions["quart_pizza.live"]
    return live


async def heartbeats(subscription: Subscription, every: float) -> AsyncIterator[OrderEvent | None]:
    """The subscription's events, and None every `every` seconds without one (a heartbeat);
    ends when the subscription is ended."""
    while True:
        try:
            event = await subscription.next(every)
        except TimeoutError:
            yield None
            continue
        if event is None:
            return
        yield event
