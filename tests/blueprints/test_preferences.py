"""Preferences: a size preselected, vegetarian pizzas only; in the session for a guest, and
with the account for a customer, so they follow them to a new browser."""

from quart import Quart
from quart.typing import TestClientProtocol as Client

from ..helpers import AuthActions, csrf_from


async def save(client: Client, size: str = "", vegetarian: bool = False) -> int:
    page = await (await client.get("/preferences")).get_data(as_text=True)
    form = {"size": size, "csrf_token": csrf_from(page)}
    if vegetarian:
        form["vegetarian"] = "on"
    response = await client.post("/preferences", form=form)
    if response.status_code == 303:
        assert response.headers["Location"] == "/"
    return response.status_code


async def menu(client: Client) -> str:
    return await (await client.get("/")).get_data(as_text=True)


async def test_vegetarian_only_hides_the_meat(client: Client) -> None:
    assert "Pepperoni" in await menu(client)
    assert await save(client, vegetarian=True) == 303
    page = await menu(client)
    assert "Pepperoni" not in page and "Diavola" not in page
    assert "Margherita" in page and "Vegetariana" in page
    assert 'value="pepperoni"' not in page  # not in the order form either


async def test_the_preferred_size_is_preselected(client: Client) -> None:
    assert 'value="medium" checked' in await menu(client)
    await save(client, size="large")
    page = await menu(client)
    assert 'value="large" checked' in page and 'value="medium" checked' not in page


async def test_bad_preferences_are_400(client: Client) -> None:
    assert await save(client, size="huge") == 400


async def test_a_customers_preferences_follow_them_to_another_browser(
    app: Quart, client: Client, auth: AuthActions
) -> None:
    await auth.register("alice")
    await save(client, size="small", vegetarian=True)
    other = app.test_client()
    assert "Pepperoni" in await menu(other)
    assert (await AuthActions(other).login("alice")).status_code == 303
    page = await menu(other)
    assert "Pepperoni" not in page and 'value="small" checked' in page


async def test_a_guests_preferences_go_with_them_into_a_new_account(
    app: Quart, client: Client, auth: AuthActions
) -> None:
    await save(client, size="large")
    await auth.register("bob")
    other = app.test_client()
    await AuthActions(other).login("bob")
    assert 'value="large" checked' in await menu(other)
