from quart import Quart
from quart.typing import TestClientProtocol as Client

from quart_pizza.db import Database
from quart_pizza.migrations import load_migrations


async def test_healthz_round_trips_to_the_database(client: Client) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert await response.get_json() == {"status": "ok", "migrations": len(load_migrations())}


async def test_healthz_fails_when_the_writer_stopped(app: Quart, client: Client) -> None:
    database: Database = app.extensions["quart_pizza.db"]
    await database.close()
    response = await client.get("/healthz")
    assert response.status_code == 503
