import asyncio
from typing import Any

import pytest
from quart.typing import TestClientProtocol as Client

from ..database import Database
from ..helpers import AuthActions


async def api_token(client: Client) -> str:
    response = await client.get("/api/session")
    token: str = (await response.get_json())["csrf_token"]
    return token


async def post_order(
    client: Client, body: Any, *, key: str | None = None, token: str | None = None
) -> Any:
    headers = {"X-CSRF-Token": token if token is not None else await api_token(client)}
    if key is not None:
        headers["Idempotency-Key"] = key
    return await client.post("/api/orders", json=body, headers=headers)


async def test_menu(client: Client) -> None:
    response = await client.get("/api/menu")
    menu = await response.get_json()
    assert response.status_code == 200
    assert menu["sizes"] == ["small", "medium", "large"]
    assert menu["max_quantity"] == 20
    margherita = next(p for p in menu["pizzas"] if p["slug"] == "margherita")
    assert margherita["prices"] == {"small": 800, "medium": 1050, "large": 1300}


async def test_session_info(client: Client, auth: AuthActions) -> None:
    anonymous = await (await client.get("/api/session")).get_json()
    assert anonymous["user_id"] is None and len(anonymous["csrf_token"]) > 20
    await auth.register("gina")
    info = await (await client.get("/api/session")).get_json()
    assert info["username"] == "gina" and isinstance(info["user_id"], int)


@pytest.mark.parametrize(
    ("body", "pizzas"),
    [
        ({"pizza": "pepperoni", "size": "large", "quantity": 2}, [("pepperoni", "large", 2)]),
        (
            [
                {"pizza": "margherita", "size": "small", "quantity": 1},
                {"pizza": "funghi", "size": "medium", "quantity": 3},
            ],
            [("margherita", "small", 1), ("funghi", "medium", 3)],
        ),
        (
            {"items": [{"pizza": "diavola", "size": "large", "quantity": 20}]},
            [("diavola", "large", 20)],
        ),
    ],
)
async def test_create_order(
    client: Client, db: Database, body: Any, pizzas: list[tuple[str, str, int]]
) -> None:
    response = await post_order(client, body)
    order = await response.get_json()
    assert response.status_code == 201
    assert response.headers["Location"] == f"/api/orders/{order['id']}"
    assert [(i["pizza"], i["size"], i["quantity"]) for i in order["items"]] == pizzas
    assert order["total_cents"] == sum(i["line_cents"] for i in order["items"])
    rows = await db.query(
        """SELECT pizzas.slug, size, quantity FROM order_items
             JOIN pizzas ON pizzas.id = order_items.pizza_id
            WHERE order_id = :id ORDER BY order_items.id""",
        {"id": order["id"]},
    )
    assert rows == pizzas
    again = await client.get(f"/api/orders/{order['id']}")
    assert await again.get_json() == order
    async with client.session_transaction() as session:
        assert session["order_id"] == order["id"]


@pytest.mark.parametrize(
    "body",
    [
        {"pizza": "margherita", "size": "small", "quantity": "2"},  # a string, not a number
        {"pizza": "margherita", "size": "small", "quantity": 2.5},
        {"pizza": "margherita", "size": "small", "quantity": True},
        {"pizza": "margherita", "size": "small", "quantity": 0},
        {"pizza": "margherita", "size": "small", "quantity": 21},
        {"pizza": "margherita", "size": "huge", "quantity": 1},
        {"pizza": "margherita", "size": "small"},
        {"pizza": "margherita", "size": "small", "quantity": 1, "extra": 1},
        {"items": []},
        [],
        [{"pizza": "margherita", "size": "small", "quantity": 1}] * 21,
        "margherita",
        None,
    ],
)
async def test_invalid_body_is_400_json(client: Client, db: Database, body: Any) -> None:
    response = await post_order(client, body)
    assert response.status_code == 400
    error = await response.get_json()
    assert error["error"] == "Bad Request" and error["message"]
    assert await db.count_orders() == 0


async def test_a_whole_number_written_as_2_0_is_the_integer_2(client: Client) -> None:
    # JSON has one kind of number, and JSON Schema's "integer" takes 2.0: so does the API.
    response = await post_order(client, {"pizza": "margherita", "size": "small", "quantity": 2.0})
    assert response.status_code == 201
    assert (await response.get_json())["items"][0]["quantity"] == 2


async def test_a_pizza_not_on_the_menu_is_409_json(client: Client, db: Database) -> None:
    response = await post_order(client, {"pizza": "hawaiian", "size": "small", "quantity": 1})
    assert response.status_code == 409
    assert "not on the menu" in (await response.get_json())["message"]
    assert await db.count_orders() == 0


async def test_body_that_is_not_json_is_400(client: Client, db: Database) -> None:
    token = await api_token(client)
    response = await client.post(
        "/api/orders",
        data=b"{not json",
        headers={"X-CSRF-Token": token, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert "error" in await response.get_json()
    assert await db.count_orders() == 0


@pytest.mark.parametrize("token", ["", "wrong"])
async def test_write_without_csrf_header_is_403_json(
    client: Client, db: Database, token: str
) -> None:
    await client.get("/api/session")
    body = {"pizza": "margherita", "size": "small", "quantity": 1}
    response = await post_order(client, body, token=token)
    assert response.status_code == 403
    assert (await response.get_json())["error"] == "Forbidden"
    assert await db.count_orders() == 0


async def test_idempotency_key_returns_the_same_order(client: Client, db: Database) -> None:
    body = {"pizza": "pepperoni", "size": "medium", "quantity": 2}
    first = await post_order(client, body, key="a5c1e2f0-order-1")
    second = await post_order(client, body, key="a5c1e2f0-order-1")
    assert first.status_code == 201 and second.status_code == 200
    assert await first.get_json() == await second.get_json()
    assert await db.count_orders() == 1
    other = await post_order(client, {**body, "quantity": 3}, key="a5c1e2f0-order-1")
    assert other.status_code == 422
    assert "Idempotency-Key" in (await other.get_json())["message"]
    assert await db.count_orders() == 1
    assert (await post_order(client, body, key="another-key")).status_code == 201


async def test_idempotency_key_of_someone_else_is_simply_another_key(
    app: Any, client: Client, db: Database
) -> None:
    body = {"pizza": "pepperoni", "size": "medium", "quantity": 2}
    assert (await post_order(client, body, key="shared-key")).status_code == 201
    stranger = app.test_client()
    response = await post_order(stranger, body, key="shared-key")
    assert response.status_code == 201  # not 422: nothing tells that the key exists
    assert await db.count_orders() == 2


async def test_an_idempotency_key_expires_after_a_day(client: Client, db: Database) -> None:
    body = {"pizza": "pepperoni", "size": "medium", "quantity": 2}
    first = await post_order(client, body, key="daily-key")
    await db.execute("UPDATE orders SET created_at = '2020-01-01T00:00:00.000Z'")
    again = await post_order(client, body, key="daily-key")
    assert first.status_code == 201 and again.status_code == 201
    assert (await first.get_json())["id"] != (await again.get_json())["id"]
    assert await db.count_orders() == 2


async def test_concurrent_retries_with_one_key_store_one_order(
    client: Client, db: Database
) -> None:
    token = await api_token(client)
    body = {"pizza": "funghi", "size": "small", "quantity": 1}
    responses = await asyncio.gather(
        *(post_order(client, body, key="burst", token=token) for _ in range(10))
    )
    assert sorted(r.status_code for r in responses) == [200] * 9 + [201]
    assert len({(await r.get_json())["id"] for r in responses}) == 1
    assert await db.count_orders() == 1


@pytest.mark.parametrize("key", ["", "x" * 256, "has space", "ünïcode"])
async def test_malformed_idempotency_key_is_400(client: Client, key: str) -> None:
    body = {"pizza": "funghi", "size": "small", "quantity": 1}
    token = await api_token(client)
    response = await client.post(
        "/api/orders",
        json=body,
        headers={"X-CSRF-Token": token, "Idempotency-Key": key.encode().decode("latin-1")},
    )
    assert response.status_code == 400


async def test_orders_are_private(app: Any, client: Client) -> None:
    response = await post_order(client, {"pizza": "funghi", "size": "small", "quantity": 1})
    order_id = (await response.get_json())["id"]
    stranger = app.test_client()
    response = await stranger.get(f"/api/orders/{order_id}")
    assert response.status_code == 404
    assert (await response.get_json())["error"] == "Not Found"
    assert (await stranger.get("/api/orders/999999")).status_code == 404


async def test_customer_api_orders_appear_on_the_dashboard(
    client: Client, auth: AuthActions
) -> None:
    await auth.register("hank")
    response = await post_order(client, {"pizza": "funghi", "size": "small", "quantity": 1})
    order_id = (await response.get_json())["id"]
    html = await (await client.get("/dashboard")).get_data(as_text=True)
    assert f"#{order_id}</a>" in html


async def test_openapi_documents_the_api_only(client: Client) -> None:
    response = await client.get("/openapi.json")
    spec = await response.get_json()
    assert response.status_code == 200
    assert set(spec["paths"]) == {
        "/api/menu",
        "/api/session",
        "/api/orders",
        "/api/orders/{order_id}",
        "/api/orders/{order_id}/cancel",
    }
    docs = await client.get("/docs")
    assert docs.status_code == 200
    assert "cdnjs" not in docs.headers["Content-Security-Policy"]  # served by the shop
    assert "cdnjs" not in (await client.get("/")).headers["Content-Security-Policy"]
