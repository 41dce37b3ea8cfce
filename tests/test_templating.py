import asyncio
import inspect
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from quart import Quart
from quart.typing import TestClientProtocol as Client

from quart_pizza.templating import format_cents

from .conftest import AuthActions, OrderActions


class CountingExecutor(ThreadPoolExecutor):
    def __init__(self) -> None:
        super().__init__(max_workers=1)
        self.submitted: list[str] = []

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.submitted.append(getattr(fn, "__qualname__", repr(fn)))
        return super().submit(fn, *args, **kwargs)


def test_every_context_processor_runs_on_the_loop(app: Quart) -> None:
    """Quart runs a synchronous context processor in a thread: none may be registered."""
    processors = [each for group in app.template_context_processors.values() for each in group]
    assert processors
    assert all(inspect.iscoroutinefunction(each) for each in processors)


async def test_rendering_pages_starts_no_thread_work(
    client: Client, auth: AuthActions, orders: OrderActions
) -> None:
    await auth.register()  # hashes the password in a thread: before counting starts
    placed = await orders.place()
    executor = CountingExecutor()
    asyncio.get_running_loop().set_default_executor(executor)
    try:
        for path in ["/", "/dashboard", "/success", placed.headers["Location"], "/login"]:
            response = await client.get(path)
            assert response.status_code == 200, path
    finally:
        executor.shutdown()
    assert executor.submitted == []


async def test_pages_still_see_the_request_and_session(client: Client) -> None:
    html = await (await client.get("/")).get_data(as_text=True)
    assert 'name="csrf_token"' in html  # csrf_token() reads the session


def test_money() -> None:
    assert format_cents(0) == "$0.00"
    assert format_cents(1550) == "$15.50"
    assert format_cents(123456) == "$1234.56"
