"""Flask's synchronous default context processor taken out (tuning/templates.py)."""

import asyncio
import inspect
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pytest
from quart import Quart
from quart.typing import TestClientProtocol as Client

from quart_pizza import create_app

from ..helpers import AuthActions, OrderActions


@pytest.fixture
async def app(config: dict[str, Any]) -> AsyncIterator[Quart]:
    app = create_app(config | {"TUNE_TEMPLATE_CONTEXT": True})
    async with app.test_app():
        yield app


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
        asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor())
        executor.shutdown()
    assert executor.submitted == []


def test_off_quart_runs_flasks_processor_in_a_thread(config: dict[str, Any]) -> None:
    app = create_app(config | {"TUNE_TEMPLATE_CONTEXT": False})
    processors = [each for group in app.template_context_processors.values() for each in group]
    assert not all(inspect.iscoroutinefunction(each) for each in processors)
