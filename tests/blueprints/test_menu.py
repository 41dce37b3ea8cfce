from typing import Any

from quart.typing import TestClientProtocol as Client

from quart_pizza import create_app

from ..database import Database
from ..helpers import OrderActions


async def test_menu_shows_pizzas_prices_and_the_order_form(client: Client) -> None:
    response = await client.get("/")
    html = await response.get_data(as_text=True)
    assert response.status_code == 200
    for slug in ("margherita", "pepperoni", "funghi"):
        assert f'<option value="{slug}"' in html
    for size in ("small", "medium", "large"):
        assert f'name="size" value="{size}"' in html
    assert 'name="quantity"' in html and 'max="20"' in html
    assert "$8.00" in html and "$15.50" in html  # margherita small, pepperoni large
    assert 'name="csrf_token"' in html
    assert 'action="/orders/create"' in html


async def test_navigation_shows_the_username(client: Client) -> None:
    async with client.session_transaction() as session:
        session["user_id"] = 7
        session["username"] = "<b>zoe</b>"
    html = await (await client.get("/")).get_data(as_text=True)
    assert "&lt;b&gt;zoe&lt;/b&gt;" in html and "<b>zoe</b>" not in html
    assert "Log out" in html


async def test_stylesheet_is_served_by_the_app(client: Client) -> None:
    response = await client.get("/static/style.css")
    assert response.status_code == 200
    assert response.mimetype == "text/css"
    assert "http" not in await response.get_data(as_text=True)  # no external assets


async def test_menu_is_cached_for_the_configured_time(config: dict[str, Any], db: Database) -> None:
    app = create_app(config | {"MENU_CACHE_SECONDS": 3600})
    async with app.test_app():
        client = app.test_client()
        assert "$8.00" in await (await client.get("/")).get_data(as_text=True)
        await db.execute("UPDATE pizza_prices SET price_cents = 9900")
        html = await (await client.get("/")).get_data(as_text=True)
        assert "$8.00" in html and "$99.00" not in html  # the cached menu
        # ... but an order takes today's price from the database, not from the cache.
        order_id = await OrderActions(client).place_id(
            pizza="margherita", size="small", quantity="1"
        )
        html = await (await client.get(f"/orders/{order_id}")).get_data(as_text=True)
        assert "$99.00" in html
