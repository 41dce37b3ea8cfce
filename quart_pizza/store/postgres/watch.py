"""A worker's watcher on PostgreSQL: one connection of its own (not a pooled one: the pool's
reset would `UNLISTEN`), listening on the channel that status changes notify inside their
transaction, and reading the new events from `order_events`.

A notification only wakes the watcher; what it passes on is always read from the table, after
the last event it passed on. New orders are not announced (NOTIFY serialises the commits of the
transactions that send one), so the watcher also looks every `every` seconds. Identity ids are
drawn before commit, so a transaction may commit an event with a lower id than one already
read: ids skipped over are looked for again for a while (`GAP_SECONDS`). When the connection
is lost (a restart of PostgreSQL), the watcher connects again and catches up from the table.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from typing import Final

import asyncpg

from ...models.status import OrderEvent
from .. import WATCH_BATCH, Settings
from . import events
from .connect import UNAVAILABLE, connect_options

log = logging.getLogger(__name__)

GAP_SECONDS: Final = 30.0  # longer than any transaction of the shop (its statement timeout)
MAX_GAP: Final = 10_000  # ids skipped at once beyond this are not looked for again
RECONNECT_SECONDS: Final = 1.0


@dataclass
class EventCursor:
    """Where the watcher is in `order_events`: the highest id passed on, and the lower ids not
    seen yet (a transaction still in flight, or one rolled back), until when to look for them."""

    after: int
    gaps: dict[int, float] = field(default_factory=dict)

    def take(self, batch: list[OrderEvent]) -> list[OrderEvent]:
        """The events of `batch` not passed on before; the cursor moves past them."""
        new = [event for event in batch if event.id > self.after or event.id in self.gaps]
        for event in new:
            self.gaps.pop(event.id, None)
        top = max((event.id for event in batch), default=self.after)
        if top > self.after:
            if top - self.after <= MAX_GAP:
                seen = {event.id for event in batch}
                until = time.monotonic() + GAP_SECONDS
                for skipped in range(self.after + 1, top):
                    if skipped not in seen:
                        self.gaps[skipped] = until
            self.after = top
        now = time.monotonic()
        self.gaps = {event_id: until for event_id, until in self.gaps.items() if until > now}
        return new


async def watch_events(
    url: str, settings: Settings, every: float
) -> AsyncGenerator[list[OrderEvent]]:
    """The events committed by any worker of any host from now on, in batches."""
    cursor: EventCursor | None = None
    conn: asyncpg.Connection | None = None
    woken = asyncio.Event()
    lost = False
    try:
        while True:
            try:
                if conn is None:
                    conn = await _listen(url, settings, woken)
                    if cursor is None:
                        top = await conn.fetchval("SELECT coalesce(max(id), 0) FROM order_events")
                        cursor = EventCursor(int(top))
                    if lost:
                        log.info("live updates: connected to the database again")
                        lost = False
                assert cursor is not None
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(woken.wait(), every)
                woken.clear()
                while True:
                    batch = await events.select_events_after(
                        conn, cursor.after, WATCH_BATCH, also=list(cursor.gaps)
                    )
                    new = cursor.take(batch)
                    if new:
                        yield new
                    if len(batch) < WATCH_BATCH:
                        break
            except UNAVAILABLE as exc:
                if not lost:
                    log.warning("live updates: lost the database (%s); connecting again", exc)
                    lost = True
                if conn is not None:
                    conn.terminate()
                    conn = None
                await asyncio.sleep(RECONNECT_SECONDS)
    finally:
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.close(timeout=1)


async def _listen(url: str, settings: Settings, woken: asyncio.Event) -> asyncpg.Connection:
    conn = await asyncpg.connect(url, **connect_options(settings))
    try:
        await conn.add_listener(events.CHANNEL, lambda *_: woken.set())
    except BaseException:
        conn.terminate()
        raise
    return conn
