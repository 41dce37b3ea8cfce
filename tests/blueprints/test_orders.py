import re
from typing import Any

import pytest
from quart import Quart
from quart.typing import TestClientProtocol as Client

from ..database import Database
from ..helpers import AuthActions, OrderActions, csrf_from


async def test_guest_order_is_stored_and_remembered(
    client: Client, orders: OrderActions, db: Database
) -> None:
    response = await orders.place(pizza="pepperoni", size="large", quantity="3")
    assert response.status_code == 303
    assert response.headers["Location"] == "/success"
    async with client.session_transaction() as session:
        order_id = session["order_id"]
        assert "user_id" not in session
    rows = await db.query(
        """SELECT orders.user_id, pizzas.slug, order_items.size, order_items.quantity,
                  order_items.unit_price_cents
             FROM orders JOIN order_items ON order_items.order_id = orders.id
             JOIN pizzas ON pizzas.id = order_items.pizza_id WHERE orders.id = :id""",
        {"id": order_id},
    )
    assert rows == [(None, "pepperoni", "large", 3, 1550)]

    page = await client.get("/success")
    html = await page.get_data(as_text=True)
    assert page.status_code == 200
    assert f"Order #{order_id}" in html
    assert "Pepperoni" in html and "$46.50" in html


async def test_success_without_order_goes_to_menu(client: Client) -> None:
    response = await client.get("/success")
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


async def test_success_forgets_an_order_that_is_not_there(client: Client) -> None:
    async with client.session_transaction() as session:
        session["order_id"] = 999
    response = await client.get("/success")
    assert response.status_code == 303
    async with client.session_transaction() as session:
        assert "order_id" not in session


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"pizza": "hawaiian"}, "pizza"),
        ({"pizza": ""}, "pizza"),
        ({"pizza": "MARGHERITA"}, "pizza"),
        ({"size": "huge"}, "size"),
        ({"size": "Large"}, "size"),
        ({"quantity": "0"}, "quantity"),
        ({"quantity": "21"}, "quantity"),
        ({"quantity": "-1"}, "quantity"),
        ({"quantity": "+2"}, "quantity"),
        ({"quantity": " 2"}, "quantity"),
        ({"quantity": "2\n"}, "quantity"),
        ({"quantity": "1.5"}, "quantity"),
        ({"quantity": "1e1"}, "quantity"),
        ({"quantity": "٣"}, "quantity"),  # ARABIC-INDIC DIGIT THREE: int() would accept it
        ({"quantity": "²"}, "quantity"),
        ({"quantity": "1_0"}, "quantity"),
        ({"quantity": "0020"}, "quantity"),
        ({"quantity": ""}, "quantity"),
        ({"quantity": "9" * 5000}, "quantity"),
    ],
)
async def test_invalid_order_is_refused_and_not_stored(
    client: Client,
    orders: OrderActions,
    db: Database,
    fields: dict[str, str],
    field: str,
) -> None:
    response = await orders.place(**fields)
    html = await response.get_data(as_text=True)
    assert response.status_code == 400
    assert f'id="{field}-error"' in html
    assert 'name="pizza"' in html  # the form is shown again
    assert await db.count_orders() == 0
    async with client.session_transaction() as session:
        assert "order_id" not in session


@pytest.mark.parametrize("missing", ["pizza", "size", "quantity"])
async def test_missing_field_is_refused(client: Client, db: Database, missing: str) -> None:
    token = csrf_from(await (await client.get("/")).get_data(as_text=True))
    form = {"pizza": "margherita", "size": "small", "quantity": "1", "csrf_token": token}
    del form[missing]
    response = await client.post("/orders/create", form=form)
    assert response.status_code == 400
    assert await db.count_orders() == 0


async def test_repeated_field_is_refused(client: Client, db: Database) -> None:
    token = csrf_from(await (await client.get("/")).get_data(as_text=True))
    body = f"pizza=margherita&pizza=pepperoni&size=small&quantity=1&csrf_token={token}"
    response = await client.post(
        "/orders/create",
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 400
    assert await db.count_orders() == 0


@pytest.mark.parametrize("token", [None, "", "forged-token"])
async def test_order_without_valid_csrf_token_is_refused(
    client: Client, db: Database, token: str | None
) -> None:
    await client.get("/")  # the session has a token; the form does not send it
    form = {"pizza": "margherita", "size": "small", "quantity": "1"}
    if token is not None:
        form["csrf_token"] = token
    response = await client.post("/orders/create", form=form)
    assert response.status_code == 403
    assert await db.count_orders() == 0


async def test_csrf_token_of_another_session_is_refused(
    app: Quart, client: Client, db: Database
) -> None:
    other = app.test_client()
    token = csrf_from(await (await other.get("/")).get_data(as_text=True))
    await client.get("/")
    form = {"pizza": "margherita", "size": "small", "quantity": "1", "csrf_token": token}
    response = await client.post("/orders/create", form=form)
    assert response.status_code == 403
    assert await db.count_orders() == 0


async def test_order_page_for_its_guest(client: Client, orders: OrderActions) -> None:
    first = await orders.place_id(pizza="funghi", size="small", quantity="1")
    second = await orders.place_id()
    for order_id in (first, second):  # the guest key owns every order of this session
        response = await client.get(f"/orders/{order_id}")
        assert response.status_code == 200
        assert f"Order #{order_id}" in await response.get_data(as_text=True)


async def test_order_page_is_404_for_anyone_else(
    app: Quart, client: Client, orders: OrderActions
) -> None:
    order_id = await orders.place_id()
    stranger = app.test_client()
    assert (await stranger.get(f"/orders/{order_id}")).status_code == 404
    other_user = app.test_client()
    await AuthActions(other_user).register("mallory")
    assert (await other_user.get(f"/orders/{order_id}")).status_code == 404


async def test_customer_order_is_private_to_the_customer(
    app: Quart, client: Client, auth: AuthActions, orders: OrderActions
) -> None:
    await auth.register()
    order_id = await orders.place_id()
    assert (await client.get(f"/orders/{order_id}")).status_code == 200
    await auth.logout()
    assert (await client.get(f"/orders/{order_id}")).status_code == 404
    await auth.login()
    assert (await client.get(f"/orders/{order_id}")).status_code == 200


@pytest.mark.parametrize(
    "path", ["/orders/0", "/orders/12345", "/orders/-1", "/orders/abc", f"/orders/{2**63}"]
)
async def test_unknown_order_is_404(client: Client, path: str) -> None:
    assert (await client.get(path)).status_code == 404


async def test_price_is_captured_when_ordered(
    client: Client, orders: OrderActions, db: Database
) -> None:
    order_id = await orders.place_id(pizza="margherita", size="small", quantity="2")
    await db.execute("UPDATE pizza_prices SET price_cents = 9900")
    html = await (await client.get(f"/orders/{order_id}")).get_data(as_text=True)
    assert "$16.00" in html and "$99.00" not in html
    menu = await (await client.get("/")).get_data(as_text=True)
    assert "$99.00" in menu


async def test_order_of_a_deleted_account_logs_out(
    client: Client, auth: AuthActions, orders: OrderActions, db: Database
) -> None:
    await auth.register()
    await db.execute("DELETE FROM users", foreign_keys=False)  # its login left behind
    response = await orders.place()
    assert response.status_code == 400
    assert "no longer exists" in await response.get_data(as_text=True)
    assert await db.count_orders() == 0
    async with client.session_transaction() as session:
        assert "user_id" not in session


async def form_with_key(client: Client, **fields: str) -> dict[str, str]:
    html = await (await client.get("/")).get_data(as_text=True)
    key = re.search(r'name="order_key" value="([^"]+)"', html)
    assert key is not None
    form = {"pizza": "margherita", "size": "small", "quantity": "1"} | fields
    return form | {"csrf_token": csrf_from(html), "order_key": key.group(1)}


async def test_the_same_form_posted_twice_places_one_order(client: Client, db: Database) -> None:
    form = await form_with_key(client)
    first = await client.post("/orders/create", form=form)
    async with client.session_transaction() as session:
        first_id = session["order_id"]
    again = await client.post("/orders/create", form=form)  # double click, or a retry
    assert first.status_code == again.status_code == 303
    async with client.session_transaction() as session:
        assert session["order_id"] == first_id
    assert await db.count_orders() == 1


async def test_the_same_form_with_other_choices_is_a_new_order(
    client: Client, db: Database
) -> None:
    form = await form_with_key(client)
    await client.post("/orders/create", form=form)
    await client.post("/orders/create", form=form | {"quantity": "2"})  # back button, changed
    assert await db.count_orders() == 2


async def test_an_old_form_sent_from_another_account_orders_for_that_account(
    client: Client, auth: AuthActions, db: Database
) -> None:
    # Form keys belong to their owner: the same page sent again after logging in as someone
    # else is that customer's first use of the key, not a retry of the first customer's.
    await auth.register("alice")
    form = await form_with_key(client)
    assert (await client.post("/orders/create", form=form)).status_code == 303
    await auth.logout()
    await auth.register("bob")
    response = await client.post("/orders/create", form=form | {"csrf_token": await auth.token()})
    assert response.status_code == 303
    owners = await db.query(
        """SELECT users.username FROM orders JOIN users ON users.id = orders.user_id
            ORDER BY orders.id""",
    )
    assert owners == [("alice",), ("bob",)]


async def test_every_menu_page_gets_a_new_form_key(client: Client) -> None:
    assert (await form_with_key(client))["order_key"] != (await form_with_key(client))["order_key"]


@pytest.mark.parametrize("key", ["short", "x" * 65, "has spaces in it!", ""])
async def test_damaged_form_key_is_400(client: Client, db: Database, key: str) -> None:
    form = await form_with_key(client) | {"order_key": key}
    response = await client.post("/orders/create", form=form)
    assert response.status_code == 400
    assert await db.count_orders() == 0


async def test_order_again_puts_the_lines_into_the_cart(
    client: Client, auth: AuthActions, orders: OrderActions
) -> None:
    await auth.register()
    order_id = await orders.place_id(pizza="funghi", size="large", quantity="3")
    page = await (await client.get("/dashboard")).get_data(as_text=True)
    assert f'action="/orders/{order_id}/reorder"' in page
    token = csrf_from(page)
    response = await client.post(f"/orders/{order_id}/reorder", form={"csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"] == "/cart"
    cart = await (await client.get("/cart")).get_data(as_text=True)
    assert "Funghi" in cart and 'value="3"' in cart
    await client.post(f"/orders/{order_id}/reorder", form={"csrf_token": token})
    assert 'value="6"' in await (await client.get("/cart")).get_data(as_text=True)


async def test_order_again_of_someone_elses_order_is_404(
    app: Any, client: Client, orders: OrderActions
) -> None:
    order_id = await orders.place_id()
    stranger = app.test_client()
    token = csrf_from(await (await stranger.get("/")).get_data(as_text=True))
    response = await stranger.post(f"/orders/{order_id}/reorder", form={"csrf_token": token})
    assert response.status_code == 404


async def test_order_again_past_the_limits_is_400_and_changes_nothing(
    client: Client, orders: OrderActions
) -> None:
    order_id = await orders.place_id(pizza="funghi", size="large", quantity="15")
    token = csrf_from(await (await client.get("/")).get_data(as_text=True))
    assert (
        await client.post(f"/orders/{order_id}/reorder", form={"csrf_token": token})
    ).status_code == 303
    response = await client.post(f"/orders/{order_id}/reorder", form={"csrf_token": token})
    assert response.status_code == 400  # 30 of one pizza and size
    assert 'value="15"' in await (await client.get("/cart")).get_data(as_text=True)


async def test_order_again_skips_what_left_the_menu(
    client: Client, orders: OrderActions, db: Database
) -> None:
    order_id = await orders.place_id(pizza="funghi", size="large", quantity="1")
    await db.execute("DELETE FROM pizza_prices WHERE pizza_id = 3")
    await db.execute("UPDATE pizzas SET slug = 'funghi-old' WHERE id = 3")
    token = csrf_from(await (await client.get("/")).get_data(as_text=True))
    response = await client.post(f"/orders/{order_id}/reorder", form={"csrf_token": token})
    assert response.status_code == 303
    cart = await (await client.get("/cart")).get_data(as_text=True)
    assert "No longer on the menu, so not added: Funghi." in cart
    assert "Your cart is empty" in cart


async def test_the_favicon_is_there(client: Client) -> None:
    response = await client.get("/favicon.ico")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
