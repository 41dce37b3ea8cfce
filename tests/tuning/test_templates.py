"""Template rendering without async machinery (tuning/templates.py): Flask's synchronous
context processor taken out, and templates compiled for synchronous rendering."""

import asyncio
import inspect
import re
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from quart import Quart
from quart.typing import TestClientProtocol as Client

from quart_pizza import create_app
from quart_pizza.tuning.templates import render_synchronously

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


async def render_pages(config: dict[str, Any], sync: bool) -> list[str]:
    """Every page kind, rendered by an app with or without synchronous templates."""
    app = create_app(config | {"TUNE_SYNC_TEMPLATES": sync, "SECRET_KEY": "same key " * 4})
    assert app.jinja_env.is_async is not sync
    pages = []
    async with app.test_app():
        client = app.test_client()
        auth, orders = AuthActions(client), OrderActions(client)
        await auth.register()
        welcome = await (await client.get("/dashboard")).get_data(as_text=True)
        placed = await orders.place()
        assert placed.headers["Location"] == "/success"
        paths = ["/", "/dashboard", "/success", "/orders/1", "/nowhere"]
        for html in [welcome] + [await (await client.get(p)).get_data(as_text=True) for p in paths]:
            # The only differences allowed: the random keys of this session and its forms, and
            # the time the order was placed.
            html = re.sub(r'value="[A-Za-z0-9_\-]{20,}"', 'value="KEY"', html)
            pages.append(re.sub(r"\d{4}-\d\d-\d\d[T ][0-9:.]+Z?", "TIME", html))
    return pages


async def test_synchronous_templates_render_the_same_pages(
    config: dict[str, Any], tmp_path: Path
) -> None:
    sync = await render_pages(config | {"DATABASE_URL": f"sqlite:///{tmp_path}/a.db"}, True)
    async_ = await render_pages(config | {"DATABASE_URL": f"sqlite:///{tmp_path}/b.db"}, False)
    assert sync == async_
    assert "Welcome, alice!" in sync[0]  # a flashed message, through get_flashed_messages


def test_an_async_global_keeps_the_templates_async(config: dict[str, Any]) -> None:
    app = create_app(config | {"TUNE_SYNC_TEMPLATES": False})

    async def coroutine_global() -> str:
        return ""

    app.jinja_env.globals["later"] = coroutine_global
    assert render_synchronously(app) is False
    assert app.jinja_env.is_async
