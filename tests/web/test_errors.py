from typing import Any

import pytest
from quart import Quart
from quart.typing import TestClientProtocol as Client

from quart_pizza import create_app

from ..database import Database
from ..helpers import OrderActions, csrf_from


@pytest.mark.parametrize(
    ("method", "path", "code"),
    [("GET", "/no-such-page", 404), ("DELETE", "/", 405), ("GET", "/orders/create", 405)],
)
async def test_error_pages_are_shop_pages(
    client: Client, method: str, path: str, code: int
) -> None:
    response = await getattr(client, method.lower())(path)
    html = await response.get_data(as_text=True)
    assert response.status_code == code
    assert response.mimetype == "text/html"
    assert f'<p class="code">{code}</p>' in html
    assert "Back to the menu" in html
    if code == 404:
        assert "We looked in every oven" in html


async def test_unexpected_error_is_a_500_page_without_details(config: dict[str, Any]) -> None:
    app = create_app(config | {"PROPAGATE_EXCEPTIONS": False})

    @app.get("/boom")
    async def boom() -> str:
        raise RuntimeError("secret internals /etc/passwd")

    async with app.test_app():
        response = await app.test_client().get("/boom")
    html = await response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong on our side" in html
    assert "secret internals" not in html and "Traceback" not in html


async def test_database_down_is_a_503_and_stores_nothing(
    app: Quart, client: Client, orders: OrderActions, db: Database
) -> None:
    token = csrf_from(await (await client.get("/")).get_data(as_text=True))
    await app.extensions["quart_pizza.store"].close()
    response = await client.post(
        "/orders/create",
        form={"pizza": "margherita", "size": "small", "quantity": "1", "csrf_token": token},
    )
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert "try again" in await response.get_data(as_text=True)
    assert await db.count_orders() == 0
