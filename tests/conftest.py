"""Fixtures: a fresh app on its own SQLite file per test, a client, and form-driving helpers."""

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from quart import Quart
from quart.typing import TestClientProtocol as Client
from quart.wrappers import Response

from quart_pizza import create_app
from quart_pizza.db import Database

CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_INPUT.search(html)
    assert match is not None, "page has no csrf_token field"
    return match.group(1)


@pytest.fixture
def config(tmp_path: Path) -> dict[str, Any]:
    return {
        "TESTING": True,
        "SECRET_KEY": "test secret key",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'shop.sqlite3'}",
        # Tests change the menu behind the app's back and expect to see it at once.
        "MENU_CACHE_SECONDS": 0,
        # The test process is not a serving worker: leave its GC and GIL settings alone.
        "TUNE_INTERPRETER": False,
        # Cheap argon2 parameters: the tests check behaviour, not hash strength.
        "PASSWORD_HASH_TIME_COST": 1,
        "PASSWORD_HASH_MEMORY_KIB": 64,
        "PASSWORD_HASH_PARALLELISM": 1,
    }


@pytest.fixture
async def app(config: dict[str, Any]) -> AsyncIterator[Quart]:
    app = create_app(config)
    async with app.test_app():
        yield app


@pytest.fixture
def client(app: Quart) -> Client:
    return app.test_client()


@pytest.fixture
def db_path(app: Quart) -> Path:
    database: Database = app.extensions["quart_pizza.db"]
    return database.path


async def query(path: Path, sql: str, params: dict[str, Any] | None = None) -> list[Any]:
    """Rows from the test's real database file, through a connection of the test's own."""
    async with aiosqlite.connect(path) as conn:
        return list(await conn.execute_fetchall(sql, params or {}))


async def execute(path: Path, sql: str, params: dict[str, Any] | None = None) -> None:
    """Change the test's database behind the app's back (menu edits, deleted accounts)."""
    async with aiosqlite.connect(path) as conn:
        await conn.execute(sql, params or {})
        await conn.commit()


async def count_orders(path: Path) -> int:
    rows = await query(path, "SELECT count(*) FROM orders")
    return int(rows[0][0])


class AuthActions:
    """Drives the real register/login/logout forms, CSRF token included."""

    def __init__(self, client: Client) -> None:
        self.client = client

    async def token(self, path: str = "/") -> str:
        response = await self.client.get(path)
        return csrf_from(await response.get_data(as_text=True))

    async def register(self, username: str = "alice", password: str = "pepperoni4ever") -> Response:
        form = {"username": username, "password": password, "csrf_token": await self.token()}
        return await self.client.post("/register", form=form)

    async def login(
        self, username: str = "alice", password: str = "pepperoni4ever", next_url: str = ""
    ) -> Response:
        form = {"username": username, "password": password, "csrf_token": await self.token()}
        if next_url:
            form["next"] = next_url
        return await self.client.post("/login", form=form)

    async def logout(self) -> Response:
        return await self.client.post("/logout", form={"csrf_token": await self.token()})


class OrderActions:
    """Drives the real order form."""

    def __init__(self, client: Client) -> None:
        self.client = client

    async def place(
        self, pizza: str = "margherita", size: str = "medium", quantity: str = "2"
    ) -> Response:
        token = csrf_from(await (await self.client.get("/")).get_data(as_text=True))
        form = {"pizza": pizza, "size": size, "quantity": quantity, "csrf_token": token}
        return await self.client.post("/orders/create", form=form)

    async def place_id(self, **fields: str) -> int:
        """Place an order and return its id, read back from the session."""
        response = await self.place(**fields)
        assert response.status_code == 303, await response.get_data(as_text=True)
        async with self.client.session_transaction() as session:
            order_id = session["order_id"]
        assert isinstance(order_id, int)
        return order_id


@pytest.fixture
def auth(client: Client) -> AuthActions:
    return AuthActions(client)


@pytest.fixture
def orders(client: Client) -> OrderActions:
    return OrderActions(client)
