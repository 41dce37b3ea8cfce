"""No input reaches a 500: every parser takes whatever a client can send (property-based, with
hypothesis), and hostile bodies, query strings, headers and cookies get a clear 4xx.
(tests/test_api_contract.py runs schemathesis against the OpenAPI document.)"""

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from quart import Quart
from quart.typing import TestClientProtocol as Client
from werkzeug.datastructures import MultiDict

from quart_pizza.web.forms import (
    FormError,
    parse_login,
    parse_order_form,
    parse_password_change,
    parse_registration,
)

from ..database import Database
from ..helpers import AuthActions, csrf_from

FIELDS = (
    "pizza",
    "size",
    "quantity",
    "order_key",
    "username",
    "password",
    "csrf_token",
    "current_password",
    "new_password",
)
form_values = st.lists(st.tuples(st.sampled_from(FIELDS), st.text(max_size=300)), max_size=12).map(
    MultiDict
)
NOT_500 = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@given(form_values)
@settings(max_examples=400, deadline=None)
def test_the_form_parsers_accept_or_name_the_field(form: MultiDict[str, str]) -> None:
    for parse in (parse_registration, parse_login, parse_password_change):
        try:
            parse(form)
        except FormError as error:
            assert error.errors and all(isinstance(v, str) for v in error.errors.values())
    try:
        parsed = parse_order_form(form, {"margherita", "pepperoni"})
    except FormError as error:
        assert set(error.errors) <= {"pizza", "size", "quantity", "order"}
    else:
        assert parsed.item.pizza_slug in {"margherita", "pepperoni"}
        assert 1 <= parsed.item.quantity <= 20


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(
            st.sampled_from(["pizza", "size", "quantity", "items", "x"]), children, max_size=5
        )
    ),
    max_leaves=30,
)


@given(body=json_values)
@NOT_500
async def test_any_json_body_is_an_order_or_a_4xx(app: Quart, body: Any) -> None:
    client = app.test_client()
    token = (await (await client.get("/api/session")).get_json())["csrf_token"]
    response = await client.post("/api/orders", json=body, headers={"X-CSRF-Token": token})
    assert response.status_code in (200, 201, 400), await response.get_data(as_text=True)
    assert response.mimetype == "application/json"


@given(
    form=form_values,
    path=st.sampled_from(["/orders/create", "/register", "/login", "/account/password"]),
)
@NOT_500
async def test_any_form_is_answered_with_a_page_not_a_500(
    app: Quart, form: MultiDict[str, str], path: str
) -> None:
    client = app.test_client()
    token = csrf_from(await (await client.get("/")).get_data(as_text=True))
    data = [(key, value) for key, value in form.items(multi=True) if key != "csrf_token"]
    data.append(("csrf_token", token))
    body = "&".join(f"{k}={v}" for k, v in data).encode("utf-8", "surrogatepass")
    response = await client.post(
        path, data=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code < 500


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/orders/create", "pizza"),
        ("/orders/create", "order_key"),
        ("/login", "username"),
        ("/register", "username"),
    ],
)
async def test_a_nul_character_in_a_field_is_no_500(
    client: Client, db: Database, path: str, field: str
) -> None:
    """PostgreSQL's text cannot hold NUL (SQLite's can): such input matches nothing there
    either, instead of failing the statement."""
    token = csrf_from(await (await client.get("/")).get_data(as_text=True))
    form = {"pizza": "margherita", "size": "small", "quantity": "1", "username": "alice",
            "password": "pepperoni4ever", "csrf_token": token}  # fmt: skip
    form[field] = f"{form.get(field, 'key')}\x00x"
    response = await client.post(path, form=form)
    assert 400 <= response.status_code < 500
    assert await db.query("SELECT username FROM users") == []
    assert await db.count_orders() == 0


async def test_a_nul_character_in_the_api_is_a_4xx(client: Client, db: Database) -> None:
    token = (await (await client.get("/api/session")).get_json())["csrf_token"]
    response = await client.post(
        "/api/orders",
        json={"pizza": "margherita\x00", "size": "small", "quantity": 1},
        headers={"X-CSRF-Token": token},
    )
    assert 400 <= response.status_code < 500
    assert await db.count_orders() == 0


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        (b'{"pizza": "margherita", "size": "small", "quantity": \xff}', {}),  # not UTF-8
        (b"[" * 20_000 + b"]" * 20_000, {}),  # nested too deep for the parser
        (b'{"pizza": "margherita", "size": "small", "quantity": 1' + b"0" * 5000 + b"}", {}),
        (b'{"pizza": "margherita", "size": "small", "quantity": 1e999}', {}),
        (b"\x00\x01\x02", {}),
        (b"", {}),
        (b'{"pizza": "margherita"}', {"Content-Type": "text/plain"}),
    ],
    ids=[
        "not utf-8",
        "deep nesting",
        "huge number",
        "infinite float",
        "binary",
        "empty",
        "not json",
    ],
)
async def test_hostile_json_is_a_json_4xx(
    client: Client, db: Database, body: bytes, headers: dict[str, str]
) -> None:
    token = (await (await client.get("/api/session")).get_json())["csrf_token"]
    response = await client.post(
        "/api/orders",
        data=body,
        headers={"Content-Type": "application/json", "X-CSRF-Token": token} | headers,
    )
    assert 400 <= response.status_code < 500
    assert response.mimetype == "application/json"
    assert "Traceback" not in await response.get_data(as_text=True)
    assert await db.count_orders() == 0


async def test_a_form_that_is_not_utf8_is_a_4xx(client: Client, db: Database) -> None:
    token = csrf_from(await (await client.get("/")).get_data(as_text=True))
    body = f"pizza=margh%FFerita&size=small&quantity=1&csrf_token={token}".encode()
    response = await client.post(
        "/orders/create", data=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert 400 <= response.status_code < 500
    assert await db.count_orders() == 0


@pytest.mark.parametrize(
    "path",
    [
        "/dashboard?before=9223372036854775808",
        "/dashboard?before=-1",
        "/dashboard?before=1e9",
        "/dashboard?before=%00",
        "/orders/9223372036854775808",
        "/orders/-1",
        "/api/orders/99999999999999999999999",
        "/login?next=%0d%0aSet-Cookie:x",
        "/login?next=" + "a" * 5000,
    ],
)
async def test_query_strings_out_of_range_are_no_500(
    client: Client, auth: AuthActions, path: str
) -> None:
    await auth.register()
    response = await client.get(path)
    assert response.status_code in (200, 303, 404)


async def test_duplicated_and_oversized_headers_and_cookies_are_no_500(
    app: Quart, client: Client
) -> None:
    await client.get("/")
    cases: list[dict[str, Any]] = [
        {"Cookie": "pizza_session=a; pizza_session=b"},
        {"Cookie": "pizza_session=" + "x" * 8000},
        {"Cookie": "\x7f=\x00"},
        {"X-CSRF-Token": "x" * 10_000},
        {"Origin": "\u00ff" * 10},
        {"Content-Length": "12", "Content-Type": "application/json"},
    ]
    for headers in cases:
        response = await app.test_client().get("/", headers=headers)
        assert response.status_code < 500, headers
