"""Logins you can take back: logout, one session revoked, every session, a new password, and
the idle and absolute lifetimes."""

from typing import Any

import pytest
from quart import Quart
from quart.typing import TestClientProtocol as Client

from quart_pizza import create_app

from ..database import Database
from ..helpers import AuthActions, OrderActions, csrf_from

UA_FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"
UA_PHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 19_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/19.0 Mobile/15E148 Safari/604.1"
)


def session_cookie(client: Client) -> str:
    cookie = next(c for c in client.cookie_jar or [] if c.name == "pizza_session")
    return str(cookie.value)


def with_cookie(app: Quart, value: str) -> Client:
    """Another client, as an attacker holding a copy of the cookie would be."""
    copy = app.test_client()
    copy.set_cookie("localhost", "pizza_session", value)
    return copy


async def device(app: Quart, user_agent: str, username: str = "alice") -> Client:
    """Log the account in from another browser."""
    client = app.test_client()
    auth = AuthActions(client)
    form = {"username": username, "password": "pepperoni4ever", "csrf_token": await auth.token()}
    response = await client.post("/login", form=form, headers={"User-Agent": user_agent})
    assert response.status_code == 303
    return client


def own_login_id(dashboard: str) -> int:
    """The id of the login a dashboard page marks as "this device"."""
    (item,) = [chunk for chunk in dashboard.split("<li>") if "(this device)" in chunk]
    return int(item.split('action="/account/sessions/')[1].split("/")[0])


async def anonymous(client: Client) -> bool:
    response = await client.get("/dashboard")
    return response.status_code == 303 and response.headers["Location"] == (
        "/login?next=/dashboard"
    )


async def test_after_logout_a_copied_cookie_is_anonymous(
    app: Quart, client: Client, auth: AuthActions, db: Database
) -> None:
    await auth.register()
    stolen = session_cookie(client)
    assert not await anonymous(with_cookie(app, stolen))
    await auth.logout()
    thief = with_cookie(app, stolen)
    assert await anonymous(thief)
    # ... and it cannot order as the customer either: nothing stored.
    page = await (await thief.get("/")).get_data(as_text=True)
    assert "Log in" in page and "alice" not in page
    token = csrf_from(page)
    form = {"pizza": "margherita", "size": "small", "quantity": "1", "csrf_token": token}
    response = await with_cookie(app, stolen).post("/orders/create", form=form)
    assert response.status_code in (303, 403)
    assert await db.query("SELECT count(*) FROM orders WHERE user_id IS NOT NULL") == [(0,)]


async def test_the_dashboard_lists_the_sessions_and_ends_one(
    app: Quart, client: Client, auth: AuthActions
) -> None:
    await auth.register()
    phone = await device(app, UA_PHONE)
    laptop = await device(app, UA_FIREFOX)
    page = await (await laptop.get("/dashboard")).get_data(as_text=True)
    assert page.count('action="/account/sessions/') == 3
    assert "Safari on iPhone" in page and "Firefox on Linux" in page
    assert "(this device)" in page
    assert "Session #" not in page and "#1<" not in page.split("Your sessions")[1]
    # The laptop logs the phone out: the phone's login is the one its own page calls this one.
    login_id = own_login_id(await (await phone.get("/dashboard")).get_data(as_text=True))
    token = csrf_from(await (await laptop.get("/dashboard")).get_data(as_text=True))
    response = await laptop.post(f"/account/sessions/{login_id}/revoke", form={"csrf_token": token})
    assert response.status_code == 303
    assert await anonymous(phone)
    assert not await anonymous(laptop) and not await anonymous(client)


async def test_a_login_of_another_account_cannot_be_revoked(
    app: Quart, client: Client, auth: AuthActions
) -> None:
    await auth.register("alice")
    other = app.test_client()
    await AuthActions(other).register("mallory")
    mallory_login = own_login_id(await (await other.get("/dashboard")).get_data(as_text=True))
    token = csrf_from(await (await client.get("/dashboard")).get_data(as_text=True))
    response = await client.post(
        f"/account/sessions/{mallory_login}/revoke", form={"csrf_token": token}
    )
    assert response.status_code == 404
    assert not await anonymous(other)


async def test_logout_everywhere_ends_every_session_this_one_too(
    app: Quart, client: Client, auth: AuthActions
) -> None:
    await auth.register()
    phone = await device(app, UA_PHONE)
    copy = session_cookie(client)
    token = csrf_from(await (await client.get("/dashboard")).get_data(as_text=True))
    response = await client.post("/account/logout-everywhere", form={"csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"] == "/"
    assert await anonymous(phone)
    assert await anonymous(client)
    assert await anonymous(with_cookie(app, copy))


async def test_a_new_password_ends_every_other_session(
    app: Quart, client: Client, auth: AuthActions
) -> None:
    await auth.register()
    phone = await device(app, UA_PHONE)
    page = await (await client.get("/account/password")).get_data(as_text=True)
    form = {
        "current_password": "pepperoni4ever",
        "new_password": "margherita4ever",
        "csrf_token": csrf_from(page),
    }
    response = await client.post("/account/password", form=form)
    assert response.status_code == 303 and response.headers["Location"] == "/dashboard"
    assert not await anonymous(client)
    assert await anonymous(phone)
    assert (await auth.login(password="pepperoni4ever")).status_code == 401
    assert (await auth.login(password="margherita4ever")).status_code == 303


@pytest.mark.parametrize(
    ("form", "status"),
    [
        ({"current_password": "wrong-password", "new_password": "margherita4ever"}, 400),
        ({"current_password": "pepperoni4ever", "new_password": "short"}, 400),
        ({"new_password": "margherita4ever"}, 400),
    ],
)
async def test_a_refused_password_change_changes_nothing(
    app: Quart, client: Client, auth: AuthActions, form: dict[str, str], status: int
) -> None:
    await auth.register()
    phone = await device(app, UA_PHONE)
    page = await (await client.get("/account/password")).get_data(as_text=True)
    response = await client.post("/account/password", form=form | {"csrf_token": csrf_from(page)})
    assert response.status_code == status
    assert not await anonymous(phone)
    assert (await auth.login(password="pepperoni4ever")).status_code == 303


async def test_account_pages_send_anonymous_visitors_to_log_in(client: Client) -> None:
    response = await client.get("/account/password")
    assert response.status_code == 303
    assert response.headers["Location"] == "/login?next=/account/password"


@pytest.mark.parametrize("column", ["last_seen_at", "created_at"], ids=["idle too long", "too old"])
async def test_a_login_past_its_lifetime_has_ended(
    client: Client, auth: AuthActions, db: Database, column: str
) -> None:
    await auth.register()
    await db.execute(f"UPDATE logins SET {column} = '2020-01-01T00:00:00.000Z'")
    assert await anonymous(client)


async def test_using_a_login_keeps_it_alive(
    config: dict[str, Any], client: Client, auth: AuthActions, orders: OrderActions, db: Database
) -> None:
    await auth.register()
    a_while_ago = "2026-01-01T00:00:00.000Z"
    await db.execute(f"UPDATE logins SET last_seen_at = '{a_while_ago}'")
    app = create_app(config | {"LOGIN_IDLE_TIMEOUT": 10 * 365 * 24 * 3600})
    async with app.test_app():
        copy = app.test_client()
        copy.set_cookie("localhost", "pizza_session", session_cookie(client))
        assert (await copy.get("/dashboard")).status_code == 200
    rows = await db.query("SELECT last_seen_at FROM logins")
    assert rows[0][0] > a_while_ago


async def test_an_order_with_an_ended_login_stores_nothing(
    app: Quart, client: Client, auth: AuthActions, orders: OrderActions, db: Database
) -> None:
    await auth.register()
    token = csrf_from(await (await client.get("/")).get_data(as_text=True))
    await db.execute("DELETE FROM logins")  # revoked from another worker, say
    form = {"pizza": "margherita", "size": "small", "quantity": "1", "csrf_token": token}
    response = await client.post("/orders/create", form=form)
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    assert await db.count_orders() == 0
    assert await anonymous(client)
