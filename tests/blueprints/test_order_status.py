"""What the customer sees of an order's status: the pages, cancelling, the live stream (its
first event, its changes, a reconnect's catch-up, heartbeats, the limit), and the API."""

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from quart import Quart
from quart.testing.connections import TestHTTPConnection as StreamConnection
from quart.typing import TestClientProtocol as Client

from quart_pizza import create_app

from ..database import Database
from ..helpers import AuthActions, OrderActions, csrf_from, move, staff_client

LIVE = {"LIVE_POLL_SECONDS": 0.02, "SSE_HEARTBEAT_SECONDS": 0.3, "STREAMS_PER_SESSION": 2}


@pytest.fixture
async def app(config: dict[str, Any]) -> AsyncIterator[Quart]:
    app = create_app(config | LIVE)
    async with app.test_app():
        yield app


async def open_stream(client: Client, path: str, **headers: str) -> StreamConnection:
    connection = client.request(path, headers=headers)
    await connection.__aenter__()
    await connection.send_complete()
    async with asyncio.timeout(5):  # the answer's head arrives on its own, before any body
        while connection.status_code is None:  # type: ignore[attr-defined]
            await asyncio.sleep(0.005)
    return connection  # type: ignore[return-value]


async def next_events(connection: StreamConnection, count: int) -> list[dict[str, Any]]:
    """The next `count` events of a stream (comments and the retry line skipped)."""
    events: list[dict[str, Any]] = []
    buffer = b""
    while len(events) < count:
        buffer += await asyncio.wait_for(connection.receive(), 5)
        while b"\n\n" in buffer:
            block, buffer = buffer.split(b"\n\n", 1)
            fields = dict(
                line.split(": ", 1) for line in block.decode().splitlines() if ": " in line
                and not line.startswith(":")
            )  # fmt: skip
            if "event" in fields:
                events.append(fields | {"data": json.loads(fields["data"])})
    return events


async def test_the_pages_mark_the_status(
    client: Client, orders: OrderActions, db: Database
) -> None:
    order_id = await orders.place_id()
    for path in ("/success", f"/orders/{order_id}"):
        page = await (await client.get(path)).get_data(as_text=True)
        assert 'data-status="placed"' in page
    await db.execute("UPDATE orders SET status = 'baking'")
    page = await (await client.get(f"/orders/{order_id}")).get_data(as_text=True)
    assert 'data-status="baking"' in page


async def test_the_dashboard_shows_each_orders_status(
    client: Client, auth: AuthActions, orders: OrderActions
) -> None:
    await auth.register()
    await orders.place_id()
    page = await (await client.get("/dashboard")).get_data(as_text=True)
    assert 'data-status="placed"' in page


async def test_the_customer_cancels_while_placed_only(
    app: Quart, client: Client, orders: OrderActions, db: Database
) -> None:
    first, second = await orders.place_id(), await orders.place_id()
    token = csrf_from(await (await client.get("/")).get_data(as_text=True))
    response = await client.post(f"/orders/{first}/cancel", form={"csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"] == f"/orders/{first}"
    await move(await staff_client(app.test_client(), db), second, "preparing")
    response = await client.post(f"/orders/{second}/cancel", form={"csrf_token": token})
    assert response.status_code == 409
    stranger = app.test_client()
    token = csrf_from(await (await stranger.get("/")).get_data(as_text=True))
    assert (
        await stranger.post(f"/orders/{second}/cancel", form={"csrf_token": token})
    ).status_code == 404
    rows = await db.query("SELECT status FROM orders ORDER BY id")
    assert rows == [("cancelled",), ("preparing",)]


async def test_the_stream_starts_with_the_status_then_follows_it(
    app: Quart, client: Client, orders: OrderActions, db: Database
) -> None:
    order_id = await orders.place_id()
    stream = await open_stream(client, f"/orders/{order_id}/events")
    assert stream.status_code == 200
    assert stream.headers is not None
    assert stream.headers["Content-Type"].startswith("text/event-stream")
    (first,) = await next_events(stream, 1)
    assert first["event"] == "status" and first["data"]["status"] == "placed"
    assert first["data"]["order_id"] == order_id and int(first["id"]) > 0
    staff = await staff_client(app.test_client(), db)
    await move(staff, order_id, "preparing")
    await move(staff, order_id, "baking")
    changes = await next_events(stream, 2)
    assert [event["data"]["status"] for event in changes] == ["preparing", "baking"]
    assert int(first["id"]) < int(changes[0]["id"]) < int(changes[1]["id"])
    await stream.disconnect()
    # A browser that lost the stream after "preparing" gets what it missed, and only that.
    again = await open_stream(
        client, f"/orders/{order_id}/events", **{"Last-Event-ID": changes[0]["id"]}
    )
    (missed,) = await next_events(again, 1)
    assert missed["data"]["status"] == "baking" and missed["id"] == changes[1]["id"]
    await again.disconnect()


async def test_a_finished_orders_stream_ends_and_tells_the_browser_to_stop(
    app: Quart, client: Client, orders: OrderActions, db: Database
) -> None:
    order_id = await orders.place_id()
    stream = await open_stream(client, f"/orders/{order_id}/events")
    await next_events(stream, 1)
    staff = await staff_client(app.test_client(), db)
    for status in ("preparing", "baking", "ready", "completed"):
        assert await move(staff, order_id, status) == 303
    events = await next_events(stream, 4)
    assert events[-1]["data"]["status"] == "completed"
    # Nothing more can happen: the stream ends (the body completes) instead of idling on.
    async with asyncio.timeout(5):
        while await stream.receive() != b"":
            pass
    # A browser that saw it all is told to stop reconnecting (204); one that missed the last
    # change gets it, then the end; one that comes fresh gets the status now, then the end.
    seen_all = await client.get(
        f"/orders/{order_id}/events", headers={"Last-Event-ID": events[-1]["id"]}
    )
    assert seen_all.status_code == 204
    missed = await client.get(
        f"/orders/{order_id}/events", headers={"Last-Event-ID": events[-2]["id"]}
    )
    body = await missed.get_data(as_text=True)
    assert missed.status_code == 200 and body.count("event: status") == 1
    assert '"status": "completed"' in body
    fresh = await (await client.get(f"/orders/{order_id}/events")).get_data(as_text=True)
    assert fresh.count("event: status") == 1 and '"status": "completed"' in fresh


async def test_an_idle_stream_sends_heartbeats(client: Client, orders: OrderActions) -> None:
    order_id = await orders.place_id()
    stream = await open_stream(client, f"/orders/{order_id}/events")
    received = b""
    while received.count(b": keep-alive") < 2:
        received += await asyncio.wait_for(stream.receive(), 2)
    await stream.disconnect()


async def test_quarts_response_timeout_does_not_end_a_stream(config: dict[str, Any]) -> None:
    app = create_app(config | LIVE | {"RESPONSE_TIMEOUT": 0.5})
    async with app.test_app():
        client = app.test_client()
        order_id = await OrderActions(client).place_id()
        stream = await open_stream(client, f"/orders/{order_id}/events")
        received = b""
        async with asyncio.timeout(5):
            while received.count(b": keep-alive") < 5:  # 1.5 s at least: three timeouts
                received += await stream.receive()
        await stream.disconnect()


async def test_someone_elses_stream_is_404(app: Quart, orders: OrderActions) -> None:
    order_id = await orders.place_id()
    stranger = app.test_client()
    await stranger.get("/")
    assert (await stranger.get(f"/orders/{order_id}/events")).status_code == 404


async def test_a_session_may_hold_few_streams(client: Client, orders: OrderActions) -> None:
    order_id = await orders.place_id()
    streams = [await open_stream(client, f"/orders/{order_id}/events") for _ in range(2)]
    third = await client.get(f"/orders/{order_id}/events")
    assert third.status_code == 429 and third.headers["Retry-After"]
    for stream in streams:
        await stream.disconnect()


async def test_the_kitchen_stream_tells_of_new_orders_and_changes(
    app: Quart, orders: OrderActions, db: Database
) -> None:
    staff = await staff_client(app.test_client(), db)
    stream = await open_stream(staff, "/kitchen/events")
    order_id = await orders.place_id()
    await move(staff, order_id, "preparing")
    events = await next_events(stream, 2)
    assert [(e["event"], e["data"]["order_id"], e["data"]["status"]) for e in events] == [
        ("order", order_id, "placed"), ("order", order_id, "preparing")]  # fmt: skip
    await stream.disconnect()


async def test_the_api_has_the_status_the_timeline_and_a_cancel(
    app: Quart, client: Client, orders: OrderActions, db: Database
) -> None:
    order_id = await orders.place_id()
    body = await (await client.get(f"/api/orders/{order_id}")).get_json()
    assert body["status"] == "placed" and [e["status"] for e in body["events"]] == ["placed"]
    token = (await (await client.get("/api/session")).get_json())["csrf_token"]
    response = await client.post(f"/api/orders/{order_id}/cancel", headers={"X-CSRF-Token": token})
    assert response.status_code == 200
    body = await response.get_json()
    assert body["status"] == "cancelled"
    assert [e["status"] for e in body["events"]] == ["placed", "cancelled"]
    again = await client.post(f"/api/orders/{order_id}/cancel", headers={"X-CSRF-Token": token})
    assert again.status_code == 409 and (await again.get_json())["error"] == "Conflict"
