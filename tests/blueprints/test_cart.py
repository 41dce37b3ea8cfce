"""The cart in the session: adding, merging, changing, removing, the limits, checking out as
one order (once per page), and what the cookie holds."""

import re

import pytest
from quart.typing import TestClientProtocol as Client

from ..database import Database
from ..helpers import AuthActions, csrf_from

PIZZA_IDS = {"margherita": 1, "pepperoni": 2, "funghi": 3}


async def token(client: Client, path: str = "/") -> str:
    return csrf_from(await (await client.get(path)).get_data(as_text=True))


async def add(client: Client, pizza: str = "margherita", size: str = "medium",
              quantity: str = "1") -> int:  # fmt: skip
    form = {"pizza": pizza, "size": size, "quantity": quantity, "csrf_token": await token(client)}
    response = await client.post("/cart/items", form=form)
    return response.status_code


async def cart_page(client: Client) -> str:
    return await (await client.get("/cart")).get_data(as_text=True)


async def checkout_form(client: Client) -> dict[str, str]:
    page = await cart_page(client)
    fields = dict(re.findall(r'name="(checkout_key|expected_total_cents)" value="([^"]*)"', page))
    return fields | {"csrf_token": csrf_from(page)}


async def session_of(client: Client) -> dict[str, object]:
    """What the signed (not encrypted) cookie says, as the app reads it."""
    async with client.session_transaction() as session:
        return dict(session)


async def test_an_empty_cart_says_so(client: Client) -> None:
    response = await client.get("/cart")
    assert response.status_code == 200
    assert "Your cart is empty" in await response.get_data(as_text=True)


async def test_lines_are_added_merged_and_priced_today(client: Client) -> None:
    assert await add(client, "margherita", "small", "2") == 303
    assert await add(client, "pepperoni", "large", "1") == 303
    assert await add(client, "margherita", "small", "3") == 303  # the same line: merged
    page = await cart_page(client)
    assert page.count("<tr") == 4  # header, two lines, total
    assert 'value="5"' in page  # 2 + 3 small margheritas
    assert "$40.00" in page  # 5 x $8.00
    assert "$15.50" in page  # 1 x large pepperoni
    assert "$55.50" in page  # the total
    assert (await session_of(client))["cart"] == [
        [1, "s", 5],
        [2, "l", 1],
    ]  # ids and quantities only


async def test_the_header_counts_the_pizzas_on_every_page(client: Client) -> None:
    await add(client, "margherita", "small", "2")
    await add(client, "funghi", "large", "3")
    for path in ("/", "/cart", "/login", "/nope"):
        page = await (await client.get(path)).get_data(as_text=True)
        assert 'aria-label="5 pizzas">5</span>' in page, path


@pytest.mark.parametrize(
    ("pizza", "size", "quantity"),
    [
        ("hawaiian", "small", "1"),
        ("margherita", "huge", "1"),
        ("margherita", "small", "0"),
        ("margherita", "small", "21"),
        ("margherita", "small", "two"),
        ("", "", ""),
    ],  # fmt: skip
)
async def test_a_bad_line_is_400_and_the_cart_unchanged(
    client: Client, pizza: str, size: str, quantity: str
) -> None:
    await add(client, "funghi", "small", "1")
    assert await add(client, pizza, size, quantity) == 400
    assert (await session_of(client))["cart"] == [[3, "s", 1]]


async def test_merging_past_twenty_is_400(client: Client) -> None:
    assert await add(client, "margherita", "small", "15") == 303
    assert await add(client, "margherita", "small", "6") == 400
    assert (await session_of(client))["cart"] == [[1, "s", 15]]


async def test_twenty_lines_at_most_and_the_cookie_stays_small(
    client: Client, db: Database
) -> None:
    # Enough pizzas for 21 different lines: copies of the first three under new names.
    for number in range(4):
        await db.execute(
            """INSERT INTO pizzas (slug, name, description, position)
               SELECT slug || :slug_suffix, name || :name_suffix, description, :position
                 FROM pizzas WHERE id = 1""",
            {"slug_suffix": f"-{number}", "name_suffix": f" {number}", "position": 10 + number},
        )
        await db.execute(
            """INSERT INTO pizza_prices SELECT (SELECT max(id) FROM pizzas), size, price_cents
                 FROM pizza_prices WHERE pizza_id = 1""",
        )
    slugs = [row[0] for row in await db.query("SELECT slug FROM pizzas ORDER BY id")]
    lines = [(slug, size) for slug in slugs for size in ("small", "medium", "large")][:21]
    for slug, size in lines[:20]:
        assert await add(client, slug, size, "20") == 303
    response = await client.get("/cart")
    cookie = response.headers.get("Set-Cookie") or next(
        f"pizza_session={c.value}" for c in client.cookie_jar or [] if c.name == "pizza_session"
    )
    assert len(cookie.encode()) < 4096
    assert await add(client, *lines[20], "1") == 400  # a 21st line
    assert len((await session_of(client))["cart"]) == 20  # type: ignore[arg-type]


async def test_a_line_is_changed_and_removed(client: Client) -> None:
    await add(client, "margherita", "small", "2")
    await add(client, "pepperoni", "large", "1")
    form = {"quantity": "4", "csrf_token": await token(client, "/cart")}
    assert (await client.post("/cart/items/1/small", form=form)).status_code == 303
    assert (await session_of(client))["cart"] == [[1, "s", 4], [2, "l", 1]]
    form["quantity"] = "0"
    assert (await client.post("/cart/items/1/small", form=form)).status_code == 303
    assert (await session_of(client))["cart"] == [[2, "l", 1]]


@pytest.mark.parametrize(("path", "quantity", "status"), [
    ("/cart/items/1/small", "1", 404),  # not in the cart
    ("/cart/items/2/huge", "1", 404),
    ("/cart/items/2/large", "21", 400),
    ("/cart/items/2/large", "-1", 400),
    ("/cart/items/2/large", "", 400),
])  # fmt: skip
async def test_changing_a_line_that_is_not_there_or_to_nonsense(
    client: Client, path: str, quantity: str, status: int
) -> None:
    await add(client, "pepperoni", "large", "1")
    form = {"quantity": quantity, "csrf_token": await token(client, "/cart")}
    assert (await client.post(path, form=form)).status_code == status
    assert (await session_of(client))["cart"] == [[2, "l", 1]]


async def test_checkout_places_one_order_with_every_line(client: Client, db: Database) -> None:
    await add(client, "margherita", "small", "2")
    await add(client, "pepperoni", "large", "1")
    await add(client, "funghi", "medium", "3")
    response = await client.post("/cart/checkout", form=await checkout_form(client))
    assert response.status_code == 303 and response.headers["Location"] == "/success"
    rows = await db.query("SELECT order_id, pizza_id, size, quantity FROM order_items")
    assert sorted(row[1:] for row in rows) == [(1, "small", 2), (2, "large", 1), (3, "medium", 3)]
    assert len({row[0] for row in rows}) == 1
    assert "cart" not in await session_of(client)
    assert (await session_of(client))["order_id"] == rows[0][0]
    page = await (await client.get("/success")).get_data(as_text=True)
    assert all(name in page for name in ("Margherita", "Pepperoni", "Funghi"))


async def test_the_same_checkout_page_twice_is_one_order(client: Client, db: Database) -> None:
    await add(client, "margherita", "small", "2")
    form = await checkout_form(client)
    jar_before = list(client.cookie_jar or [])
    first = await client.post("/cart/checkout", form=form)
    again = await client.post("/cart/checkout", form=form)  # the cart is empty now
    assert first.status_code == again.status_code == 303
    assert again.headers["Location"] == "/success"
    assert await db.count_orders() == 1
    # A retry after a lost answer: the browser still has the cookie with the cart.
    for cookie in jar_before:
        client.cookie_jar.set_cookie(cookie)  # type: ignore[union-attr]
    retry = await client.post("/cart/checkout", form=form)
    assert retry.status_code == 303
    assert await db.count_orders() == 1


async def test_an_empty_cart_cannot_check_out(client: Client, db: Database) -> None:
    form = {"csrf_token": await token(client), "checkout_key": "k" * 24}
    response = await client.post("/cart/checkout", form=form)
    assert response.status_code == 303 and response.headers["Location"] == "/cart"
    assert await db.count_orders() == 0


async def test_a_repriced_pizza_is_charged_at_todays_price_after_a_warning(
    client: Client, db: Database
) -> None:
    await add(client, "margherita", "small", "2")
    form = await checkout_form(client)
    await db.execute(
        "UPDATE pizza_prices SET price_cents = 900 WHERE pizza_id = 1 AND size = 'small'"
    )
    response = await client.post("/cart/checkout", form=form)
    assert response.status_code == 409
    page = await response.get_data(as_text=True)
    assert "Prices changed" in page and "$18.00" in page
    assert await db.count_orders() == 0
    response = await client.post("/cart/checkout", form=await checkout_form(client))
    assert response.status_code == 303
    rows = await db.query("SELECT unit_price_cents FROM order_items")
    assert rows == [(900,)]


async def test_a_pizza_taken_off_the_menu_is_marked_and_blocks_checkout(
    client: Client, db: Database
) -> None:
    await add(client, "margherita", "small", "2")
    await add(client, "funghi", "small", "1")
    await db.execute("DELETE FROM pizza_prices WHERE pizza_id = 3")
    page = await cart_page(client)
    assert "no longer on the menu" in page
    response = await client.post("/cart/checkout", form=await checkout_form(client))
    assert response.status_code == 409
    assert await db.count_orders() == 0
    form = {"quantity": "0", "csrf_token": await token(client, "/cart")}
    await client.post("/cart/items/3/small", form=form)
    assert (
        await client.post("/cart/checkout", form=await checkout_form(client))
    ).status_code == 303


async def test_logging_in_keeps_the_cart_and_logging_out_clears_it(
    client: Client, auth: AuthActions
) -> None:
    await auth.register("alice")
    await auth.logout()
    await add(client, "pepperoni", "small", "2")
    assert (await auth.login("alice")).status_code == 303
    assert (await session_of(client))["cart"] == [[2, "s", 2]]
    await auth.logout()
    await client.get("/")
    assert "cart" not in await session_of(client)


async def test_a_customers_checkout_is_theirs(
    client: Client, auth: AuthActions, db: Database
) -> None:
    await auth.register("alice")
    await add(client, "pepperoni", "small", "2")
    await client.post("/cart/checkout", form=await checkout_form(client))
    rows = await db.query(
        "SELECT users.username FROM orders JOIN users ON users.id = orders.user_id"
    )
    assert rows == [("alice",)]
    assert "#1" in await (await client.get("/dashboard")).get_data(as_text=True)
