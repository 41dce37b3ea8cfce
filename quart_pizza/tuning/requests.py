"""Quart's handling of one HTTP request, at less cost: three parts, each with its setting.

- `BlueprintNamesOnce` (request class): Quart looks up the request's blueprints for every kind
  of hook and handler it runs, about a dozen times a request, splitting the name anew each
  time; this works them out once. Nothing else changes.
- `TwoMessageResponses` (ASGI connection): a response held in memory (a page, a redirect,
  JSON) goes to the server as two ASGI messages, its start and its body, where Quart sends
  every body through an async iterator as three. The bytes on the wire are the same; files and
  streams keep Quart's way.
- `OneTaskRequests` (ASGI connection): Quart runs every request as a task group of two tasks,
  the view and a receiver that feeds it the body through a queue and cancels it if the client
  disconnects. This reads the (small) body first and then runs the view in the task the
  server already runs for the request, beside one plain watcher task that cancels it when the
  client disconnects before the answer is out, as Quart's receiver does.

A body that stops being read early (past `MAX_CONTENT_LENGTH`, or slower than `BODY_TIMEOUT`)
is drained until the server reports the disconnect: the server queues a request's messages
for the app in a small bounded queue, and a connection whose messages nobody takes is never
freed.
"""

import asyncio
import logging
from functools import cached_property
from typing import Any

import quart
from hypercorn.typing import ASGIReceiveCallable, ASGISendCallable
from quart import asgi
from quart.typing import ResponseTypes
from quart.utils import encode_headers
from quart.wrappers.response import DataBody

log = logging.getLogger(__name__)


class BlueprintNamesOnce(quart.Request):
    """Quart's request, which works out the names of its blueprints once.

    The URL is matched before any hook runs, so the names never change afterwards.
    """

    @cached_property
    def blueprints(self) -> list[str]:
        return super().blueprints


def blueprint_names_fit() -> bool:
    """True if Quart's request still computes `blueprints` as a plain property."""
    return isinstance(getattr(quart.Request, "blueprints", None), property)


class TwoMessageResponses(asgi.ASGIHTTPConnection):
    """Sends a response held in memory as two ASGI messages."""

    async def _send_response(self, send: ASGISendCallable, response: ResponseTypes) -> None:
        body = response.response
        if type(body) is not DataBody:
            await super()._send_response(send, response)
            return
        await send(
            {
                "type": "http.response.start",
                "status": response.status_code,
                "headers": encode_headers(response.headers),
            }
        )
        await send(
            {
                "type": "http.response.body",
                "body": body.data[body.begin : body.end],
                "more_body": False,
            }
        )


def two_messages_fit() -> bool:
    """True if Quart still sends through `_send_response` and `DataBody` keeps its slice."""
    sample = DataBody(b"x")
    return callable(getattr(asgi.ASGIHTTPConnection, "_send_response", None)) and all(
        hasattr(sample, name) for name in ("data", "begin", "end")
    )


class OneTaskRequests(asgi.ASGIHTTPConnection):
    """Reads the whole (small) body first, then runs the view in the server's task.

    A watcher task takes the request's later messages: when the client disconnects before the
    answer is out, it cancels the view (or the stream being sent), as Quart's receiver does.
    """

    _receive: ASGIReceiveCallable
    _handler: "asyncio.Task[Any] | None" = None
    _finished = False

    async def __call__(self, receive: ASGIReceiveCallable, send: ASGISendCallable) -> None:
        send = asgi._convert_os_error(send)  # a failed send raises ClientDisconnectedError
        request = self._create_request_from_scope(send)
        self._receive = receive
        complete = await self._read_body(request)
        if complete is None:
            return  # the client went away before its request arrived: nobody to answer
        self._handler = handler = asyncio.current_task()
        watcher = asyncio.get_running_loop().create_task(self._watch())
        answered = False
        try:
            await self.handle_request(request, send)
            answered = True
        except asyncio.CancelledError:
            # Cancelled by the watcher alone: the client is gone, as Quart would end it.
            if not self._disconnected or handler is None or handler.uncancel() > 0:
                raise
        finally:
            self._finished = True
            # Messages may still come for a body stopped early: after an answer, take them
            # until the server reports the disconnect (it does once the answer is out), or
            # its queue fills and the connection hangs forever.
            if not answered:
                watcher.cancel()
        if answered and not complete:
            await watcher

    async def _read_body(self, request: quart.Request) -> bool | None:
        """Read the body into `request`: True when whole, False when stopped early, None when
        the client disconnected first."""
        limit = self.app.config["MAX_CONTENT_LENGTH"]
        if limit is not None and (request.content_length or 0) > limit:
            return False  # Quart's body answers 413 from the header alone: read none of it
        chunks: list[bytes] = []
        received = 0
        try:
            async with asyncio.timeout(request.body_timeout):
                while True:
                    message = await self._receive()
                    if message["type"] != "http.request":  # http.disconnect
                        return None
                    chunk = message.get("body", b"")
                    chunks.append(chunk)
                    received += len(chunk)
                    if not message.get("more_body", False):
                        break
                    if limit is not None and received > limit:
                        request.body.set_result(b"".join(chunks))  # the view's read answers 413
                        return False
        except TimeoutError:
            request.body_timeout = 0  # the view's read of the body answers 408 at once
            return False
        request.body.set_result(b"".join(chunks))
        request.body_timeout = None  # the body is complete: no second timer to read it
        return True

    async def _watch(self) -> None:
        """Take the request's messages until the disconnect; then stop the view if it runs."""
        while (await self._receive())["type"] != "http.disconnect":
            pass
        self._disconnected = True
        if not self._finished and self._handler is not None:
            self._handler.cancel()


def one_task_fits() -> bool:
    """True if Quart's connection still has the methods and attributes this relies on."""
    connection = asgi.ASGIHTTPConnection
    return (
        callable(getattr(asgi, "_convert_os_error", None))
        and callable(getattr(connection, "_create_request_from_scope", None))
        and callable(getattr(connection, "handle_request", None))
        and callable(getattr(connection, "_send_response", None))
        and callable(getattr(quart.wrappers.request.Body, "set_result", None))
    )


def connection_class(*, one_task: bool, two_messages: bool) -> type[asgi.ASGIHTTPConnection]:
    """Quart's ASGI connection class with the chosen parts mixed in."""
    bases: list[type[Any]] = []
    if one_task:
        bases.append(OneTaskRequests)
    if two_messages:
        bases.append(TwoMessageResponses)
    if not bases:
        return asgi.ASGIHTTPConnection
    if len(bases) == 1:
        return bases[0]
    return type("TunedHTTPConnection", tuple(bases), {})
