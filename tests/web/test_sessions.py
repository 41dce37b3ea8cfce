"""The session cookie, as the shop uses it: flashes, `Vary: Cookie`, deletion, refresh."""

from quart import Quart, session
from quart.typing import TestClientProtocol as Client

from ..helpers import AuthActions, OrderActions


async def test_flashed_messages_are_shown_once(client: Client, auth: AuthActions) -> None:
    await auth.register("jack")
    html = await (await client.get("/dashboard")).get_data(as_text=True)
    assert "Welcome, jack! Your account is ready." in html
    html = await (await client.get("/dashboard")).get_data(as_text=True)
    assert "Welcome, jack" not in html  # shown once


async def test_every_answer_that_reads_the_session_varies_on_cookie_once(
    client: Client, auth: AuthActions, orders: OrderActions
) -> None:
    await auth.register("kim")
    placed = await orders.place()  # a redirect that sets the cookie
    page = await client.get("/success")  # a page that reads the session
    for response in (placed, page):
        assert [v.strip() for v in response.headers["Vary"].split(",")].count("Cookie") == 1


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
