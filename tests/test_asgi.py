"""The ASGI side of a request (quart_pizza/asgi.py): the body is read whole before the view
runs, cut off past the size limit and given up on after BODY_TIMEOUT. Driven through the app's
ASGI interface with the messages hypercorn sends, so that bodies can arrive in parts."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from quart import Quart, request

from quart_pizza import create_app

from .conftest import count_orders, csrf_from

Message = dict[str, Any]


def scope(cookie: str = "", method: str = "POST", path: str = "/orders/create") -> dict[str, Any]:
    headers = [(b"host", b"shop.test"), (b"content-type", b"application/x-www-form-urlencoded")]
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "extensions": {},
    }


async def call(
    app: Quart, receive: Callable[[], Awaitable[Message]], cookie: str = "", **request: str
) -> list[Message]:
    """Run one request through the app's ASGI interface; returns what it sent."""
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    await asyncio.wait_for(app(scope(cookie, **request), receive, send), 10)  # type: ignore[arg-type]
    return sent


def status(sent: list[Message]) -> int | None:
    starts = [message["status"] for message in sent if message["type"] == "http.response.start"]
    return starts[0] if starts else None


def parts(*chunks: bytes) -> Callable[[], Awaitable[Message]]:
    """A receive callable that hands out `chunks` as hypercorn does: each, then the end."""
    messages = [{"type": "http.request", "body": chunk, "more_body": True} for chunk in chunks]
    messages.append({"type": "http.request", "body": b"", "more_body": False})
    messages.append({"type": "http.disconnect"})

    async def receive() -> Message:
        return messages.pop(0)

    return receive


@pytest.fixture
async def quick_app(config: dict[str, Any]) -> AsyncIterator[Quart]:
    app = create_app(config | {"BODY_TIMEOUT": 0.2})
    async with app.test_app():
        yield app


async def test_an_order_whose_body_comes_in_parts_is_taken(app: Quart, db_path: Path) -> None:
    client = app.test_client()
    token = csrf_from(await (await client.get("/")).get_data(as_text=True))
    cookie = next(c for c in client.cookie_jar or [] if c.name == "pizza_session")
    form = urlencode({"pizza": "margherita", "size": "small", "quantity": "1", "csrf_token": token})
    middle = len(form) // 2

    sent = await call(
        app, parts(form[:middle].encode(), form[middle:].encode()), f"pizza_session={cookie.value}"
    )

    assert status(sent) == 303
    assert await count_orders(db_path) == 1
    # A response held in memory leaves as its start and one last body message.
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
    assert sent[1] == {"type": "http.response.body", "body": b"", "more_body": False}


async def test_a_body_past_the_limit_is_not_read_further(app: Quart, db_path: Path) -> None:
    taken = 0

    async def huge() -> Message:  # a chunked upload of 4 MB
        nonlocal taken
        taken += 1
        return {"type": "http.request", "body": b"x" * 4096, "more_body": taken < 1000}

    sent = await call(app, huge)

    assert status(sent) == 413
    assert taken == 16 * 1024 // 4096 + 1  # MAX_CONTENT_LENGTH is 16 KiB
    assert await count_orders(db_path) == 0


async def test_a_body_that_stops_arriving_gets_408(quick_app: Quart) -> None:
    first = True

    async def stalls() -> Message:
        nonlocal first
        if first:
            first = False
            return {"type": "http.request", "body": b"pizza=", "more_body": True}
        await asyncio.Event().wait()  # the rest never comes
        raise AssertionError("unreachable")

    sent = await call(quick_app, stalls)

    assert status(sent) == 408
    assert b"waited" in b"".join(message.get("body", b"") for message in sent)


async def test_a_client_gone_before_its_body_came_gets_nothing(app: Quart, db_path: Path) -> None:
    messages: list[Message] = [
        {"type": "http.request", "body": b"pizza=margherita", "more_body": True},
        {"type": "http.disconnect"},
    ]

    async def receive() -> Message:
        return messages.pop(0)

    assert await call(app, receive) == []
    assert await count_orders(db_path) == 0


async def test_hooks_of_the_requests_blueprint_run(app: Quart) -> None:
    # The request works out its blueprints once: that must happen after the URL is matched.
    seen: list[str] = []

    async def hook() -> None:
        seen.append(request.path)

    app.before_request_funcs.setdefault("api", []).append(hook)
    client = app.test_client()
    assert (await client.get("/api/menu")).status_code == 200
    assert (await client.get("/")).status_code == 200
    assert seen == ["/api/menu"]


async def test_a_page_leaves_in_two_messages(app: Quart) -> None:
    sent = await call(app, parts(), method="GET", path="/")
    assert status(sent) == 200
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
    assert sent[1]["more_body"] is False and b"Margherita" in sent[1]["body"]
    assert (b"content-length", str(len(sent[1]["body"])).encode()) in sent[0]["headers"]


async def test_a_file_is_sent_in_chunks_as_quart_sends_it(app: Quart) -> None:
    sent = await call(app, parts(), method="GET", path="/static/style.css")
    assert status(sent) == 200
    bodies = [m for m in sent if m["type"] == "http.response.body"]
    assert [m["more_body"] for m in bodies] == [True] * (len(bodies) - 1) + [False]
    css = Path(app.static_folder or "", "style.css").read_bytes()
    assert b"".join(m["body"] for m in bodies) == css
