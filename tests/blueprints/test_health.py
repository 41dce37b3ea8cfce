from quart.typing import TestClientProtocol as Client

from quart_pizza.store import Store
from quart_pizza.store.migrations import load_migrations


async def test_healthz_round_trips_to_the_database(client: Client) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert await response.get_json() == {"status": "ok", "migrations": len(load_migrations())}


async def test_healthz_fails_when_the_database_is_closed(store: Store, client: Client) -> None:
    await store.close()
    response = await client.get("/healthz")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert (await response.get_json())["status"] == "unavailable"
