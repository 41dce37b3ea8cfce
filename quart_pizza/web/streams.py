"""Server-Sent Events: the `text/event-stream` responses of the live pages."""

import json
import weakref
from collections.abc import AsyncIterator, Container, Iterable

from quart import Response, current_app, request

from ..live import LiveUpdates, Subscription, heartbeats
from ..models.status import OrderEvent


def last_event_id() -> int | None:
    """The id a reconnecting browser says it saw last (`Last-Event-ID`), if it is one."""
    value = request.headers.get("Last-Event-ID", "")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 19 else None


def message(event: OrderEvent, name: str) -> bytes:
    data = {"order_id": event.order_id, "status": event.status, "at": event.at}
    return f"id: {event.id}\nevent: {name}\ndata: {json.dumps(data)}\n\n".encode()


def event_stream(
    live: LiveUpdates,
    subscription: Subscription | None,
    first: Iterable[OrderEvent],
    name: str,
    *,
    last: Container[str] = (),
) -> Response:
    """A stream of `first`, then the subscription's events (none twice), with a comment line
    every SSE_HEARTBEAT_SECONDS while idle so that proxies and browsers keep it open. The
    subscription is released when the stream ends, or is dropped without ever starting.
    Without a subscription the stream ends after `first`; with one, after an event whose
    status is in `last` (an order's stream ends once the order is completed or cancelled)."""
    every = current_app.config["SSE_HEARTBEAT_SECONDS"]

    async def body() -> AsyncIterator[bytes]:
        try:
            seen = 0
            yield b"retry: 2000\n\n"  # a browser that loses the stream tries again in 2 s
            for event in first:
                seen = max(seen, event.id)
                yield message(event, name)
            if subscription is None:
                return
            async for live_event in heartbeats(subscription, every):
                if live_event is None:
                    yield b": keep-alive\n\n"
                elif live_event.id > seen:
                    seen = live_event.id
                    yield message(live_event, name)
                    if live_event.status in last:
                        return
        finally:
            if subscription is not None:
                live.release(subscription)

    stream = body()
    if subscription is not None:
        weakref.finalize(stream, live.release, subscription)
    response = Response(stream, content_type="text/event-stream")
    response.headers["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
    response.timeout = None  # Quart's response timeout must not end a stream
    return response
