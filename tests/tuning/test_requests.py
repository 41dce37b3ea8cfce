"""The request parts of the tuning (tuning/requests.py), driven through the app's ASGI
interface with the messages hypercorn sends, so that bodies can arrive in parts and clients can
go away. The fake server below behaves as hypercorn does: it reports the disconnect once the
answer is out, and it counts what the app took, so a body left unread shows."""

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from quart import Quart, Response, request

from quart_pizza import create_app
from quart_pizza.tuning.requests import OneTaskRequests, TwoMessageResponses

from ..database import Database
from ..helpers import csrf_from

Message = dict[str, Any]
REQUEST_PARTS = {
    "TUNE_REQUEST_IN_ONE_TASK": True,
    "TUNE_RESPONSE_MESSAGES": True,
    "TUNE_BLUEPRINT_NAMES": True,
}


class FakeServer:
    """One request's side of hypercorn: hands out `body` in chunks (`more` of them still to
    come after those), collects what the app sends, and says disconnect after the answer."""

    def __init__(self, *chunks: bytes, more: int = 0, stall: bool = False) -> None:
        self._messages = [{"type": "http.request", "body": c, "more_body": True} for c in chunks]
        self._more = more
        self._stall = stall
        self.sent: list[Message] = []
        self.taken = 0
        self.said_disconnect = False
        self._answered = asyncio.Event()
        self._gone = asyncio.Event()

    def disconnect(self) -> None:
        self._gone.set()

    async def receive(self) -> Message:
        self.taken += 1
        if self._messages:
            return self._messages.pop(0)
        if self._more:
            self._more -= 1
            return {"type": "http.request", "body": b"x" * 4096, "more_body": True}
        if not self._stall and not self._answered.is_set() and not self._gone.is_set():
            self._stall = True  # the end of the body, once
            return {"type": "http.request", "body": b"", "more_body": False}
        answered = asyncio.create_task(self._answered.wait())
        gone = asyncio.create_task(self._gone.wait())
        await asyncio.wait({answered, gone}, return_when=asyncio.FIRST_COMPLETED)
        answered.cancel()
        gone.cancel()
        self.said_disconnect = True
        return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        self.sent.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body", False):
            self._answered.set()

    @property
    def left(self) -> int:
        """Body messages the app has not taken yet."""
        return len(self._messages) + self._more

    @property
    def status(self) -> int | None:
        starts = [m["status"] for m in self.sent if m["type"] == "http.response.start"]
        return starts[0] if starts else None

    @property
    def body(self) -> bytes:
        return b"".join(m.get("body", b"") for m in self.sent if m["type"] == "http.response.body")


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


async def call(app: Quart, server: FakeServer, **request: str) -> FakeServer:
    """Run one request through the app's ASGI interface; returns the server with what it got."""
    await asyncio.wait_for(app(scope(**request), server.receive, server.send), 10)  # type: ignore[arg-type]
    return server


@pytest.fixture
async def app(config: dict[str, Any]) -> AsyncIterator[Quart]:
    app = create_app(config | REQUEST_PARTS)
    assert issubclass(app.asgi_http_class, OneTaskRequests)
    assert issubclass(app.asgi_http_class, TwoMessageResponses)
    async with app.test_app():
        yield app


@pytest.fixture
async def quick_app(config: dict[str, Any]) -> AsyncIterator[Quart]:
    app = create_app(config | REQUEST_PARTS | {"BODY_TIMEOUT": 0.2})
    async with app.test_app():
        yield app


async def order_form(app: Quart) -> tuple[str, str]:
    """A filled order form and the session cookie whose CSRF token it carries."""
    client = app.test_client()
    token = csrf_from(await (await client.get("/")).get_data(as_text=True))
    cookie = next(c for c in client.cookie_jar or [] if c.name == "pizza_session")
    form = urlencode({"pizza": "margherita", "size": "small", "quantity": "1", "csrf_token": token})
    return form, f"pizza_session={cookie.value}"


async def test_an_order_whose_body_comes_in_parts_is_taken(app: Quart, db: Database) -> None:
    form, cookie = await order_form(app)
    middle = len(form) // 2
    server = await call(
        app, FakeServer(form[:middle].encode(), form[middle:].encode()), cookie=cookie
    )
    assert server.status == 303
    assert await db.count_orders() == 1
    # A response held in memory leaves as its start and one last body message.
    assert [m["type"] for m in server.sent] == ["http.response.start", "http.response.body"]
    assert server.sent[1] == {"type": "http.response.body", "body": b"", "more_body": False}


async def test_a_body_past_the_limit_is_answered_413_and_drained(app: Quart, db: Database) -> None:
    server = await call(app, FakeServer(more=1000))  # a chunked upload of 4 MB
    assert server.status == 413
    assert await db.count_orders() == 0
    # Every message the server had was taken, down to its disconnect: none is left queued.
    assert server.left == 0 and server.said_disconnect


async def test_a_body_announced_too_large_gets_413_even_where_no_view_reads_it(
    app: Quart,
) -> None:
    server = FakeServer(more=1000)
    request_scope = scope(method="GET", path="/healthz")
    request_scope["headers"].append((b"content-length", str(4096 * 1000).encode()))
    await asyncio.wait_for(app(request_scope, server.receive, server.send), 10)  # type: ignore[arg-type]
    assert server.status == 413
    assert server.left == 0 and server.said_disconnect


async def test_a_body_that_stops_arriving_gets_408_and_is_drained(quick_app: Quart) -> None:
    server = await call(quick_app, FakeServer(b"pizza=", stall=True))
    assert server.status == 408
    assert b"waited" in server.body
    assert server.said_disconnect


async def test_a_client_gone_before_its_body_came_gets_nothing(app: Quart, db: Database) -> None:
    server = FakeServer(b"pizza=margherita", stall=True)
    server.disconnect()
    assert (await call(app, server)).sent == []
    assert await db.count_orders() == 0


async def test_a_stream_stops_when_its_client_goes_away(app: Quart) -> None:
    sent_events = 0

    @app.get("/test-stream")
    async def stream() -> Response:
        async def events() -> AsyncIterator[bytes]:
            nonlocal sent_events
            while True:
                sent_events += 1
                yield b"data: tick\n\n"
                await asyncio.sleep(0.01)

        response = Response(events(), content_type="text/event-stream")
        response.timeout = None
        return response

    server = FakeServer()
    asyncio.get_running_loop().call_later(0.1, server.disconnect)
    await call(app, server, method="GET", path="/test-stream")
    assert server.status == 200
    count = sent_events
    await asyncio.sleep(0.05)
    assert 0 < count == sent_events  # stopped, not still producing into the void


@pytest.mark.parametrize("one_task", [True, False])
async def test_a_client_gone_mid_view_cancels_the_view_as_quart_does(
    config: dict[str, Any], one_task: bool
) -> None:
    app = create_app(config | REQUEST_PARTS | {"TUNE_REQUEST_IN_ONE_TASK": one_task})
    outcome: list[str] = []

    @app.get("/test-slow")
    async def slow() -> str:
        try:
            await asyncio.sleep(5)
        except asyncio.CancelledError:
            outcome.append("cancelled")
            raise
        outcome.append("finished")
        return "done"

    async with app.test_app():
        server = FakeServer()
        asyncio.get_running_loop().call_later(0.1, server.disconnect)
        started = asyncio.get_running_loop().time()
        await call(app, server, method="GET", path="/test-slow")
        assert asyncio.get_running_loop().time() - started < 2
    assert outcome == ["cancelled"]
    assert server.sent == []


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
    server = await call(app, FakeServer(), method="GET", path="/")
    assert server.status == 200
    assert [m["type"] for m in server.sent] == ["http.response.start", "http.response.body"]
    assert server.sent[1]["more_body"] is False and b"Margherita" in server.body
    assert (b"content-length", str(len(server.body)).encode()) in server.sent[0]["headers"]


async def test_a_file_is_sent_in_chunks_as_quart_sends_it(app: Quart) -> None:
    server = await call(app, FakeServer(), method="GET", path="/static/style.css")
    assert server.status == 200
    bodies = [m for m in server.sent if m["type"] == "http.response.body"]
    assert [m["more_body"] for m in bodies] == [True] * (len(bodies) - 1) + [False]
    assert server.body == Path(app.static_folder or "", "style.css").read_bytes()


@pytest.mark.parametrize("setting", ["TUNE_REQUEST_IN_ONE_TASK", "TUNE_RESPONSE_MESSAGES"])
async def test_each_part_can_be_turned_off(config: dict[str, Any], setting: str) -> None:
    app = create_app(config | REQUEST_PARTS | {setting: False})
    part: Callable[..., Any] = (
        OneTaskRequests if setting == "TUNE_REQUEST_IN_ONE_TASK" else TwoMessageResponses
    )
    assert not issubclass(app.asgi_http_class, part)  # type: ignore[arg-type]
