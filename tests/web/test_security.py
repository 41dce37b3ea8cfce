import re
from typing import Any

import pytest
from quart import Quart
from quart.typing import TestClientProtocol as Client

from quart_pizza import create_app

from ..database import Database
from ..helpers import AuthActions, OrderActions, csrf_from


async def test_every_post_route_requires_a_csrf_token(
    app: Quart, client: Client, auth: AuthActions, db: Database
) -> None:
    """Architecture test: walks the URL map, so a new POST route cannot forget CSRF."""
    await auth.register("victim")
    post_rules = [rule for rule in app.url_map.iter_rules() if "POST" in (rule.methods or ())]
    assert {rule.rule for rule in post_rules} >= {"/orders/create", "/login", "/logout"}
    form = {
        "pizza": "margherita",
        "size": "small",
        "quantity": "1",
        "username": "victim",
        "password": "pepperoni4ever",
    }
    for rule in post_rules:
        path = re.sub(r"<[^>]+>", "1", rule.rule)  # any value for the URL's variables
        response = await client.post(path, form=form)
        assert response.status_code == 403, rule.rule
    assert await db.count_orders() == 0
    async with client.session_transaction() as session:
        assert session["username"] == "victim"  # not logged out by a forged POST


async def test_csrf_token_may_come_in_a_header(client: Client, db: Database) -> None:
    token = csrf_from(await (await client.get("/")).get_data(as_text=True))
    response = await client.post(
        "/orders/create",
        form={"pizza": "margherita", "size": "small", "quantity": "1"},
        headers={"X-CSRF-Token": token},
    )
    assert response.status_code == 303
    assert await db.count_orders() == 1


@pytest.mark.parametrize("path", ["/", "/login", "/register", "/dashboard", "/success", "/nope"])
async def test_session_pages_are_private_and_vary_on_cookie(
    client: Client, auth: AuthActions, orders: OrderActions, path: str
) -> None:
    await auth.register()
    await orders.place()
    response = await client.get(path)
    assert "Cookie" in response.headers.getlist("Vary") or "Cookie" in response.vary
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["Referrer-Policy"] == "same-origin"


async def test_redirects_carry_no_page(client: Client, orders: OrderActions) -> None:
    """A browser never shows a redirect's body: none is sent, nor the headers guarding pages."""
    response = await orders.place()
    assert response.status_code == 303
    assert await response.get_data() == b""
    assert response.headers["Location"] == "/success"
    assert response.headers["Referrer-Policy"] == "same-origin"  # governs the next request
    assert response.headers["Cache-Control"] == "no-store"
    assert "Content-Security-Policy" not in response.headers
    assert "set-cookie" in response.headers


async def test_read_only_session_page_varies_on_cookie(client: Client) -> None:
    """/dashboard only reads the session: Quart 0.22 omitted Vary there."""
    await AuthActions(client).register()
    await client.get("/dashboard")  # shows the flashed welcome, which changes the session
    response = await client.get("/dashboard")
    assert "set-cookie" not in response.headers
    assert "Cookie" in response.vary


async def test_static_files_may_be_cached(client: Client) -> None:
    response = await client.get("/static/style.css")
    assert response.headers.get("Cache-Control") != "no-store"


async def test_session_cookie_attributes(client: Client) -> None:
    response = await client.get("/")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("pizza_session=")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie


async def test_secure_cookie_is_configurable(config: dict[str, Any]) -> None:
    app = create_app(config | {"SESSION_COOKIE_SECURE": True})
    async with app.test_app():
        response = await app.test_client().get("/")
    assert "Secure" in response.headers["Set-Cookie"]


async def test_body_over_the_limit_is_413(client: Client, db: Database) -> None:
    token = csrf_from(await (await client.get("/")).get_data(as_text=True))
    form = {
        "pizza": "margherita",
        "size": "small",
        "quantity": "1",
        "csrf_token": token,
        "padding": "x" * 20_000,
    }
    response = await client.post("/orders/create", form=form)
    assert response.status_code == 413
    assert "Traceback" not in await response.get_data(as_text=True)
    assert await db.count_orders() == 0


async def test_tampered_session_cookie_is_an_empty_session(client: Client) -> None:
    await AuthActions(client).register()
    response = await client.get("/dashboard")
    assert response.status_code == 200
    assert client.cookie_jar is not None
    cookie = next(c.value for c in client.cookie_jar if c.name == "pizza_session")
    assert cookie is not None
    client.set_cookie("localhost", "pizza_session", cookie[:-2] + "xx")
    response = await client.get("/dashboard")
    assert response.status_code == 303


async def test_old_secret_keys_are_still_accepted(config: dict[str, Any]) -> None:
    old_key, new_key = "last year's key, long enough to sign", "this year's key, long enough too"
    before = create_app(config | {"SECRET_KEY": old_key})
    async with before.test_app():
        client = before.test_client()
        await AuthActions(client).register("olduser")
        cookie = next(c.value for c in client.cookie_jar or [] if c.name == "pizza_session")
    app = create_app(config | {"SECRET_KEY": new_key, "SECRET_KEY_FALLBACKS": [old_key]})
    async with app.test_app():
        client = app.test_client()
        client.set_cookie("localhost", "pizza_session", str(cookie))
        html = await (await client.get("/dashboard")).get_data(as_text=True)
    assert "Hello, olduser" in html


ORDER = {"pizza": "margherita", "size": "small", "quantity": "1"}


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Origin": "http://localhost.evil.example"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Origin": "http://localhost", "Sec-Fetch-Site": "cross-site"},
    ],
)
@pytest.mark.parametrize("path", ["/orders/create", "/api/orders"])
async def test_a_request_from_another_site_is_refused_even_with_the_token(
    client: Client, db: Database, headers: dict[str, str], path: str
) -> None:
    token = csrf_from(await (await client.get("/")).get_data(as_text=True))
    if path == "/api/orders":
        response = await client.post(path, json=ORDER | {"quantity": 1},
                                     headers=headers | {"X-CSRF-Token": token})  # fmt: skip
    else:
        response = await client.post(path, form=ORDER | {"csrf_token": token}, headers=headers)
    assert response.status_code == 403
    assert await db.count_orders() == 0


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Origin": "http://localhost"},
        {"Sec-Fetch-Site": "same-origin"},
        {"Sec-Fetch-Site": "none"},
    ],  # fmt: skip
)
async def test_same_origin_or_no_origin_with_the_token_is_accepted(
    client: Client, db: Database, headers: dict[str, str]
) -> None:
    token = csrf_from(await (await client.get("/")).get_data(as_text=True))
    response = await client.post(
        "/orders/create", form=ORDER | {"csrf_token": token}, headers=headers
    )
    assert response.status_code == 303
    assert await db.count_orders() == 1


async def test_the_csrf_token_changes_at_login(client: Client, auth: AuthActions) -> None:
    await auth.register()
    await auth.logout()
    before = await auth.token()
    await auth.login()
    after = await auth.token()
    assert before != after
    response = await client.post("/logout", form={"csrf_token": before})
    assert response.status_code == 403


async def test_hsts_only_when_the_cookie_is_secure(config: dict[str, Any], client: Client) -> None:
    assert "Strict-Transport-Security" not in (await client.get("/")).headers
    app = create_app(config | {"SESSION_COOKIE_SECURE": True})
    async with app.test_app():
        response = await app.test_client().get("/")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


async def test_logout_clears_the_site_data(client: Client, auth: AuthActions) -> None:
    await auth.register()
    response = await auth.logout()
    assert '"cookies"' in response.headers["Clear-Site-Data"]


@pytest.mark.parametrize("path", ["/", "/login", "/register", "/docs", "/nope", "/healthz"])
async def test_every_page_forbids_inline_scripts_and_framing(client: Client, path: str) -> None:
    response = await client.get(path)
    policy = response.headers["Content-Security-Policy"]
    directives = dict(
        (part.split()[0], part.split()[1:]) for part in policy.split(";") if part.strip()
    )
    scripts = directives.get("script-src", directives["default-src"])
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts
    assert all(source == "'self'" for source in scripts)
    assert directives["frame-ancestors"] == ["'none'"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Server" not in response.headers


async def test_the_api_docs_come_from_the_shop_itself(client: Client) -> None:
    page = await (await client.get("/docs")).get_data(as_text=True)
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert all(source.startswith("/") for source in sources), sources
    assert "/docs/assets/swagger-ui-bundle.js" in sources
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        response = await client.get(f"/docs/assets/{asset}")
        assert response.status_code == 200
    assert (await client.get("/docs/assets/../../secret_key")).status_code == 404


async def test_405_says_which_methods_are_allowed(client: Client) -> None:
    for path in ("/logout", "/api/orders"):
        response = await client.put(path)
        assert response.status_code == 405
        assert "POST" in response.headers["Allow"]
    allowed = (await client.delete("/api/menu")).headers["Allow"].split(", ")
    assert sorted(allowed) == ["GET", "HEAD", "OPTIONS"]
