"""The session cookie: our faster interface keeps Quart's format and key rotation."""

from typing import Any

import pytest
from itsdangerous import BadSignature
from quart import Quart
from quart.sessions import SecureCookieSessionInterface
from quart.typing import TestClientProtocol as Client

from quart_pizza import create_app
from quart_pizza.sessions import SessionInterface

from .conftest import AuthActions


def quart_serializer(app: Quart) -> Any:
    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    assert serializer is not None
    return serializer


async def test_cookies_of_quarts_own_interface_still_load(app: Quart, client: Client) -> None:
    big = "x" * 500  # long enough that Quart's serializer zlib-compresses it
    cookie = quart_serializer(app).dumps({"user_id": 1, "username": "quartuser", "note": big})
    assert cookie.startswith(".")  # compressed
    client.set_cookie("localhost", "pizza_session", cookie)
    html = await (await client.get("/dashboard")).get_data(as_text=True)
    assert "Hello, quartuser" in html


async def test_our_cookies_load_with_quarts_own_interface(
    app: Quart, client: Client, auth: AuthActions
) -> None:
    response = await auth.register("ivy")
    cookie = response.headers["Set-Cookie"].split(";")[0].split("=", 1)[1]
    session = quart_serializer(app).loads(cookie)
    assert session["username"] == "ivy" and isinstance(session["user_id"], int)


async def test_new_cookies_are_signed_with_the_current_key(config: dict[str, Any]) -> None:
    old = create_app(config | {"SECRET_KEY": "old"})
    new = create_app(config | {"SECRET_KEY": "new", "SECRET_KEY_FALLBACKS": ["old"]})
    cookie = SessionInterface().get_signing_serializer(new).dumps({"a": 1})  # type: ignore[union-attr]
    assert quart_serializer(create_app(config | {"SECRET_KEY": "new"})).loads(cookie) == {"a": 1}
    with pytest.raises(BadSignature):  # the old key alone cannot read it
        quart_serializer(old).loads(cookie)


async def test_flashed_messages_survive_the_compact_json(client: Client, auth: AuthActions) -> None:
    await auth.register("jack")
    html = await (await client.get("/dashboard")).get_data(as_text=True)
    assert "Welcome, jack! Your account is ready." in html
    html = await (await client.get("/dashboard")).get_data(as_text=True)
    assert "Welcome, jack" not in html  # shown once
