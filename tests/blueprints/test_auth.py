from typing import Any

import pytest
from quart.typing import TestClientProtocol as Client

from quart_pizza import create_app

from ..database import Database
from ..helpers import AuthActions, OrderActions


async def test_register_logs_in_and_stores_a_hash(
    client: Client, auth: AuthActions, db: Database
) -> None:
    response = await auth.register("alice", "pepperoni4ever")
    assert response.status_code == 303
    assert response.headers["Location"] == "/dashboard"
    async with client.session_transaction() as session:
        assert session["username"] == "alice"
        user_id = session["user_id"]
    rows = await db.query("SELECT id, username, password_hash FROM users")
    assert len(rows) == 1
    assert rows[0][0] == user_id and rows[0][1] == "alice"
    assert rows[0][2].startswith("$argon2id$") and "pepperoni4ever" not in rows[0][2]


@pytest.mark.parametrize("taken", ["alice", "ALICE", "Alice"])
async def test_register_taken_username_is_409(
    client: Client, auth: AuthActions, db: Database, taken: str
) -> None:
    await auth.register("alice")
    await auth.logout()
    response = await auth.register(taken, "another-password")
    assert response.status_code == 409
    assert "taken" in await response.get_data(as_text=True)
    assert await db.query("SELECT count(*) FROM users") == [(1,)]


@pytest.mark.parametrize(
    ("username", "password", "field"),
    [
        ("al", "pepperoni4ever", "username"),
        ("a" * 33, "pepperoni4ever", "username"),
        ("alice smith", "pepperoni4ever", "username"),
        ("alice<script>", "pepperoni4ever", "username"),
        ("ålice", "pepperoni4ever", "username"),
        ("", "pepperoni4ever", "username"),
        ("alice", "short", "password"),
        ("alice", "", "password"),
        ("alice", "x" * 257, "password"),
    ],
)
async def test_register_invalid_is_400(
    auth: AuthActions, db: Database, username: str, password: str, field: str
) -> None:
    response = await auth.register(username, password)
    assert response.status_code == 400
    assert f'id="{field}-error"' in await response.get_data(as_text=True)
    assert await db.query("SELECT count(*) FROM users") == [(0,)]


async def test_register_accepts_the_edges(auth: AuthActions) -> None:
    assert (await auth.register("a_b", "12345678")).status_code == 303
    await auth.logout()
    assert (await auth.register("A.b-c_" + "d" * 26, "p" * 256)).status_code == 303


async def test_login_and_logout(client: Client, auth: AuthActions) -> None:
    await auth.register()
    await auth.logout()
    response = await auth.login()
    assert response.status_code == 303
    assert response.headers["Location"] == "/dashboard"
    async with client.session_transaction() as session:
        assert session["username"] == "alice"
    response = await auth.logout()
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    async with client.session_transaction() as session:
        assert "user_id" not in session and "username" not in session


async def test_login_is_case_insensitive_on_username(auth: AuthActions) -> None:
    await auth.register("Alice")
    await auth.logout()
    assert (await auth.login("alice")).status_code == 303


@pytest.mark.parametrize(("username", "password"), [("alice", "wrong-password"), ("bob", "x" * 8)])
async def test_wrong_credentials_are_401(
    client: Client, auth: AuthActions, username: str, password: str
) -> None:
    await auth.register()
    await auth.logout()
    response = await auth.login(username, password)
    assert response.status_code == 401
    assert "Wrong username or password" in await response.get_data(as_text=True)
    async with client.session_transaction() as session:
        assert "user_id" not in session


@pytest.mark.parametrize("missing", ["username", "password"])
async def test_login_missing_field_is_400(client: Client, auth: AuthActions, missing: str) -> None:
    form = {"username": "alice", "password": "pepperoni4ever", "csrf_token": await auth.token()}
    del form[missing]
    assert (await client.post("/login", form=form)).status_code == 400


async def test_login_clears_the_old_session(client: Client, auth: AuthActions) -> None:
    await auth.register("alice")
    await auth.register("bob")  # logged in as alice, registers and becomes bob
    async with client.session_transaction() as session:
        session["order_id"] = 1
        session["leftover"] = "from before"
    await auth.login("alice")
    async with client.session_transaction() as session:
        assert session["username"] == "alice"
        assert "leftover" not in session
        assert "order_id" not in session  # bob's last order is not alice's


@pytest.mark.parametrize("next_url", ["/orders/1", "/dashboard?before=5"])
async def test_login_redirects_to_local_next(auth: AuthActions, next_url: str) -> None:
    await auth.register()
    await auth.logout()
    response = await auth.login(next_url=next_url)
    assert response.headers["Location"] == next_url


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "http:/evil.example",
        "/\tevil",
        "dashboard",
    ],
)
async def test_login_ignores_foreign_next(auth: AuthActions, next_url: str) -> None:
    await auth.register()
    await auth.logout()
    response = await auth.login(next_url=next_url)
    assert response.status_code == 303
    assert response.headers["Location"] == "/dashboard"


async def test_login_page_carries_next_from_the_query(client: Client) -> None:
    html = await (await client.get("/login?next=/dashboard")).get_data(as_text=True)
    assert 'name="next" value="/dashboard"' in html
    html = await (await client.get("/login?next=//evil.example")).get_data(as_text=True)
    assert 'name="next"' not in html


async def test_a_guest_who_registers_right_after_ordering_keeps_the_orders(
    client: Client, auth: AuthActions, orders: OrderActions, db: Database
) -> None:
    order_id = await orders.place_id()
    await auth.register()
    async with client.session_transaction() as session:
        user_id = session["user_id"]
        assert session["order_id"] == order_id
    rows = await db.query("SELECT user_id, guest_key FROM orders")
    assert rows == [(user_id, None)]
    html = await (await client.get("/dashboard")).get_data(as_text=True)
    assert f"#{order_id}" in html


async def test_a_guests_older_orders_stay_the_guests_at_registration(
    client: Client, auth: AuthActions, orders: OrderActions, db: Database
) -> None:
    await orders.place_id()
    await db.execute("UPDATE orders SET created_at = '2020-01-01T00:00:00.000Z'")
    await auth.register()
    rows = await db.query("SELECT user_id FROM orders")
    assert rows == [(None,)]  # placed long before: perhaps by someone else at this computer


async def test_logging_in_never_takes_a_guests_orders(
    client: Client, auth: AuthActions, orders: OrderActions, db: Database
) -> None:
    await auth.register("victim")
    await auth.logout()
    order_id = await orders.place_id()  # the previous customer at a shared computer
    await auth.login("victim")
    assert await db.query("SELECT user_id FROM orders") == [(None,)]
    async with client.session_transaction() as session:
        assert "order_id" not in session  # a fresh session
    html = await (await client.get("/dashboard")).get_data(as_text=True)
    assert f"#{order_id}" not in html


async def test_pages_render(client: Client) -> None:
    for path in ("/login", "/register"):
        response = await client.get(path)
        assert response.status_code == 200
        assert 'name="csrf_token"' in await response.get_data(as_text=True)


async def test_logout_needs_post(client: Client) -> None:
    assert (await client.get("/logout")).status_code == 405


async def test_login_upgrades_a_hash_made_with_older_costs(
    config: dict[str, Any], auth: AuthActions, db: Database
) -> None:
    await auth.register()
    old_hash = (await db.query("SELECT password_hash FROM users"))[0][0]
    stronger = create_app(config | {"PASSWORD_HASH_TIME_COST": 2})
    async with stronger.test_app():
        response = await AuthActions(stronger.test_client()).login()
    assert response.status_code == 303
    new_hash = (await db.query("SELECT password_hash FROM users"))[0][0]
    assert new_hash != old_hash and ",t=2," in new_hash
