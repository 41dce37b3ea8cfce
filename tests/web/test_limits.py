"""The limits on guessing passwords and registering, counted in the database, and the bounded
password hashing that keeps a flood of logins from starving the rest of the shop."""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from quart import Quart
from quart.typing import TestClientProtocol as Client

from quart_pizza import create_app

from ..database import Database
from ..helpers import AuthActions, csrf_from

LIMITS = {"LOGIN_MAX_FAILURES": 5, "LOGIN_CLIENT_MAX_FAILURES": 12, "REGISTER_CLIENT_MAX": 3}


@pytest.fixture
async def app(config: dict[str, Any]) -> AsyncIterator[Quart]:
    app = create_app(config | LIMITS)
    async with app.test_app():
        yield app


async def attempt(
    client: Client, username: str, password: str, headers: dict[str, str] | None = None
) -> Any:
    token = csrf_from(await (await client.get("/login")).get_data(as_text=True))
    form = {"username": username, "password": password, "csrf_token": token}
    return await client.post("/login", form=form, headers=headers or {})


async def test_a_username_is_locked_after_five_failures_whatever_the_headers(
    client: Client, auth: AuthActions, app: Quart
) -> None:
    await auth.register("alice")
    await auth.logout()
    for number in range(5):
        forwarded = {"X-Forwarded-For": f"203.0.113.{number}"}
        assert (await attempt(client, "alice", "wrong-guess", forwarded)).status_code == 401
    for password in ("wrong-guess", "pepperoni4ever"):  # the right one waits too
        response = await attempt(client, "ALICE", password, {"X-Forwarded-For": "198.51.100.7"})
        assert response.status_code == 429
        assert 0 < int(response.headers["Retry-After"]) <= 900
        assert "Too many failed logins" in await response.get_data(as_text=True)
    # Other accounts are not affected.
    await AuthActions(app.test_client()).register("bob")
    assert (await attempt(app.test_client(), "bob", "pepperoni4ever")).status_code == 303


async def test_a_locked_username_hashes_nothing(
    client: Client, auth: AuthActions, app: Quart, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(5):
        await attempt(client, "nobody", "wrong-guess")
    passwords = app.extensions["quart_pizza.passwords"]

    async def no_hashing(*args: Any) -> bool:
        raise AssertionError("a locked username was hashed")

    monkeypatch.setattr(passwords, "verify", no_hashing)
    assert (await attempt(client, "nobody", "wrong-guess")).status_code == 429


async def test_failures_expire_with_the_window(
    client: Client, auth: AuthActions, db: Database
) -> None:
    await auth.register("alice")
    await auth.logout()
    for _ in range(5):
        await attempt(client, "alice", "wrong-guess")
    assert (await attempt(client, "alice", "pepperoni4ever")).status_code == 429
    # The window passes.
    await db.execute("UPDATE auth_attempts SET at = '2020-01-01T00:00:00.000Z'")
    assert (await attempt(client, "alice", "pepperoni4ever")).status_code == 303


async def test_a_client_guessing_many_usernames_is_limited_too(app: Quart) -> None:
    client = app.test_client()
    statuses = [
        (await attempt(client, f"user{number}", "wrong-guess")).status_code
        for number in range(LIMITS["LOGIN_CLIENT_MAX_FAILURES"] + 2)
    ]
    assert statuses[: LIMITS["LOGIN_CLIENT_MAX_FAILURES"]] == [401] * 12
    assert statuses[12:] == [429, 429]


async def test_registrations_per_client_are_limited(app: Quart) -> None:
    statuses = []
    for number in range(LIMITS["REGISTER_CLIENT_MAX"] + 1):
        response = await AuthActions(app.test_client()).register(f"newbie{number}")
        statuses.append(response.status_code)
    assert statuses == [303, 303, 303, 429]


async def test_zero_turns_the_per_client_limits_off(config: dict[str, Any]) -> None:
    app = create_app(config | {"REGISTER_CLIENT_MAX": 0, "LOGIN_CLIENT_MAX_FAILURES": 0})
    async with app.test_app():
        for number in range(15):
            assert (
                await AuthActions(app.test_client()).register(f"user{number}")
            ).status_code == 303
        client = app.test_client()
        for number in range(15):
            assert (await attempt(client, f"x{number}", "wrong-guess")).status_code == 401


async def test_a_trusted_proxy_names_the_client(config: dict[str, Any]) -> None:
    app = create_app(config | LIMITS | {"TRUSTED_PROXY_HOPS": 1})
    async with app.test_app():
        client = app.test_client()
        for number in range(12):
            headers = {"X-Forwarded-For": "198.51.100.1"}
            assert (await attempt(client, f"u{number}", "wrong", headers)).status_code == 401
        blocked = await attempt(client, "u99", "wrong", {"X-Forwarded-For": "198.51.100.1"})
        other = await attempt(client, "u99", "wrong", {"X-Forwarded-For": "198.51.100.2"})
    assert blocked.status_code == 429
    assert other.status_code == 401  # another client behind the same proxy


async def test_a_full_hashing_pool_answers_503_at_once(config: dict[str, Any]) -> None:
    slow = {"PASSWORD_HASH_THREADS": 1, "PASSWORD_HASH_TIME_COST": 40,
            "PASSWORD_HASH_MEMORY_KIB": 8192}  # fmt: skip
    app = create_app(config | slow)
    async with app.test_app():
        clients = [app.test_client() for _ in range(6)]
        tokens = [csrf_from(await (await c.get("/login")).get_data(as_text=True)) for c in clients]

        async def guess(client: Client, token: str) -> Any:
            form = {"username": "nobody", "password": "wrong-guess", "csrf_token": token}
            return await client.post("/login", form=form)

        guesses = [asyncio.create_task(guess(c, t)) for c, t in zip(clients, tokens, strict=True)]
        # While the one hashing thread works, the menu answers.
        menu = await asyncio.wait_for(app.test_client().get("/"), 5)
        results = await asyncio.gather(*guesses)
    assert menu.status_code == 200
    statuses = sorted(response.status_code for response in results)
    assert 503 in statuses and 401 in statuses
    busy = next(response for response in results if response.status_code == 503)
    assert busy.headers["Retry-After"]
