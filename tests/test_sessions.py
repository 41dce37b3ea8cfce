"""The session cookie: our faster interface keeps Quart's format and key rotation."""

from typing import Any

import pytest
from itsdangerous import BadSignature
from quart import Quart, session
from quart.sessions import SecureCookieSessionInterface
from quart.typing import TestClientProtocol as Client
from werkzeug.datastructures import Headers

from quart_pizza import create_app
from quart_pizza.sessions import SessionInterface, vary_on_cookie

from .conftest import AuthActions, OrderActions


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


async def test_every_answer_that_reads_the_session_varies_on_cookie_once(
    client: Client, auth: AuthActions, orders: OrderActions
) -> None:
    await auth.register("kim")
    placed = await orders.place()  # a redirect that sets the cookie
    page = await client.get("/success")  # a page that reads the session
    for response in (placed, page):
        assert [v.strip() for v in response.headers["Vary"].split(",")].count("Cookie") == 1


async def test_the_reused_signer_signs_each_cookie_afresh(app: Quart, client: Client) -> None:
    serializer = SessionInterface().get_signing_serializer(app)
    assert serializer is not None
    first = serializer.dumps({"order_id": 1})
    second = serializer.dumps({"order_id": 2})
    assert serializer.loads(first) == {"order_id": 1}
    assert serializer.loads(second) == {"order_id": 2}
    assert quart_serializer(app).loads(second) == {"order_id": 2}
    with pytest.raises(BadSignature):
        serializer.loads(first[:-2] + ("A" if first[-2] != "A" else "B") + first[-1])


async def test_emptied_session_deletes_the_cookie(app: Quart, client: Client) -> None:
    @app.get("/test-clear")
    async def clear() -> str:
        session.clear()
        return ""

    await client.get("/")  # a session with a CSRF token
    response = await client.get("/test-clear")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("pizza_session=;") and "Max-Age=0" in cookie
    assert "Cookie" in response.vary


async def test_a_refreshed_permanent_session_varies_on_cookie(app: Quart, client: Client) -> None:
    @app.get("/test-permanent")
    async def make_permanent() -> str:
        session.permanent = True
        return ""

    await client.get("/test-permanent")
    response = await client.get("/static/style.css")  # never reads the session
    assert response.headers["Set-Cookie"].startswith("pizza_session=")  # refreshed
    assert response.headers.getlist("Vary") == ["Cookie"]
