"""The session cookie's tuning keeps Quart's format and key rotation (tuning/cookies.py)."""

from collections.abc import AsyncIterator
from typing import Any

import pytest
from itsdangerous import BadSignature
from quart import Quart
from quart.sessions import SecureCookieSessionInterface
from quart.typing import TestClientProtocol as Client
from werkzeug.datastructures import Headers

from quart_pizza import create_app
from quart_pizza.tuning.cookies import FastCookieSessionInterface, vary_on_cookie

from ..helpers import AuthActions

OLD_KEY = "an old secret key, long enough to sign"
NEW_KEY = "a new secret key, long enough to sign."


@pytest.fixture
async def app(config: dict[str, Any]) -> AsyncIterator[Quart]:
    app = create_app(config | {"TUNE_SESSION_COOKIE": True})
    assert isinstance(app.session_interface, FastCookieSessionInterface)
    async with app.test_app():
        yield app


def quart_serializer(app: Quart) -> Any:
    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    assert serializer is not None
    return serializer


async def test_cookies_of_quarts_own_interface_still_load(app: Quart, client: Client) -> None:
    await AuthActions(client).register("quartuser")
    ours = next(c.value for c in client.cookie_jar or [] if c.name == "pizza_session")
    session = quart_serializer(app).loads(ours)
    big = "x" * 500  # long enough that Quart's serializer zlib-compresses it
    cookie = quart_serializer(app).dumps(session | {"note": big})
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
    old = create_app(config | {"SECRET_KEY": OLD_KEY})
    new = create_app(config | {"SECRET_KEY": NEW_KEY, "SECRET_KEY_FALLBACKS": [OLD_KEY]})
    cookie = FastCookieSessionInterface().get_signing_serializer(new).dumps({"a": 1})  # type: ignore[union-attr]
    assert quart_serializer(create_app(config | {"SECRET_KEY": NEW_KEY})).loads(cookie) == {"a": 1}
    with pytest.raises(BadSignature):  # the old key alone cannot read it
        quart_serializer(old).loads(cookie)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (None, "Cookie"),
        ("Accept-Encoding", "Accept-Encoding, Cookie"),
        ("Accept-Encoding, cookie", "Accept-Encoding, cookie"),
    ],
)
def test_vary_on_cookie_adds_it_once(before: str | None, after: str) -> None:
    headers = Headers() if before is None else Headers({"Vary": before})
    vary_on_cookie(headers)
    vary_on_cookie(headers)
    assert headers.getlist("Vary") == [after]


async def test_the_reused_signer_signs_each_cookie_afresh(app: Quart, client: Client) -> None:
    serializer = FastCookieSessionInterface().get_signing_serializer(app)
    assert serializer is not None
    first = serializer.dumps({"order_id": 1})
    second = serializer.dumps({"order_id": 2})
    assert serializer.loads(first) == {"order_id": 1}
    assert serializer.loads(second) == {"order_id": 2}
    assert quart_serializer(app).loads(second) == {"order_id": 2}
    with pytest.raises(BadSignature):
        serializer.loads(first[:-2] + ("A" if first[-2] != "A" else "B") + first[-1])
