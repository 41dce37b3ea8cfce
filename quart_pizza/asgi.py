"""How one HTTP request passes between hypercorn and Quart: in one task, in few messages."""

import asyncio
from functools import cached_property

import quart
from hypercorn.typing import ASGIReceiveCallable, ASGISendCallable
from quart import asgi
from quart.typing import ResponseTypes
from quart.utils import encode_headers
from quart.wrappers.response import DataBody


class Request(quart.Request):
    """Quart's request, which works out the names of its blueprints once.

    Quart looks them up for every kind of hook and handler it runs (a dozen times per request)
    and splits the blueprint's name anew each time: 1.4% of the instructions of an order
    (callgrind, README tuning log). The URL is matched before any hook runs.
    """

    @cached_property
    def blueprints(self) -> list[str]:
        return super().blueprints


class ASGIHTTPConnection(asgi.ASGIHTTPConnection):
    """Quart's handler of one HTTP request, taking the whole (small) body before the view runs.

    Quart runs each request as a task group of two tasks: the view, and a receiver that feeds
    it the body as it arrives and cancels it if the client disconnects. Our requests are forms
    and JSON of at most MAX_CONTENT_LENGTH bytes, which hypercorn usually has in full when the
    request starts. So this reads the body first and then runs the view, both in the task
    hypercorn already runs for the request: 2.6% fewer instructions per order
    (bench/instructions.py, README tuning log). It also stops reading a body as soon as it
    outgrows the limit (the view then answers 413), where Quart queues all of it first.

    A client that disconnects while its view runs no longer cancels the view: the view
    finishes (an order it takes is stored) and its answer goes nowhere. A body that does not
    arrive within BODY_TIMEOUT is left incomplete, and the view's read of it answers 408 at once.
    """

    async def __call__(self, receive: ASGIReceiveCallable, send: ASGISendCallable) -> None:
        send = asgi._convert_os_error(send)  # a failed send raises ClientDisconnectedError
        request = self._create_request_from_scope(send)
        limit = self.app.config["MAX_CONTENT_LENGTH"]  # as Quart gives it to the body
        chunks: list[bytes] = []
        received = 0
        try:
            async with asyncio.timeout(request.body_timeout):
                while True:
                    message = await receive()
                    if message["type"] != "http.request":  # http.disconnect: nobody to answer
                        return
                    chunk = message.get("body", b"")
                    chunks.append(chunk)
                    received += len(chunk)
                    if not message.get("more_body", False):
                        break
                    if limit is not None and received > limit:
                        break  # the view's read of the body answers 413
        except TimeoutError:
            request.body_timeout = 0  # the view's read of the body answers 408 at once
        else:
            request.body.set_result(b"".join(chunks))
            request.body_timeout = None  # the body is complete: no second timer to read it
        await self.handle_request(request, send)

    async def _send_response(self, send: ASGISendCallable, response: ResponseTypes) -> None:
        """Send a response held in memory (pages, redirects, JSON) as two ASGI messages.

        Quart sends every body through an async iterator, one message per chunk and an empty
        one to end it: three messages, each through hypercorn's send path, where a body in
        memory needs its start and one last message: 0.9% fewer instructions per order
        (bench/instructions.py). Files and streams go Quart's own way.
        """
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
