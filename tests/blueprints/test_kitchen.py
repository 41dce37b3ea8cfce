"""The staff role (CLI), the kitchen board, and moving orders along their lifecycle."""

import asyncio
from typing import Any

import pytest
from quart import Quart
from quart.typing import TestClientProtocol as Client

from quart_pizza import create_app

from ..database import Database
from ..helpers import AuthActions, OrderActions, move, staff_client


@pytest.fixture
async def staff(app: Quart, db: Database) -> Client:
    return await staff_client(app.test_client(), db)


async def status_of(db: Database, order_id: int) -> str:
    rows = await db.query("SELECT status FROM orders WHERE id = :id", {"id": order_id})
    return str(rows[0][0])


def test_staff_cli_grants_and_revokes(config: dict[str, Any], db: Database) -> None:
    app = create_app(config)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["migrate"]).exit_code == 0
    asyncio.run(_register(create_app(config), "chef"))  # as the server would, apart
    result = runner.invoke(args=["staff", "add", "chef"])
    assert result.exit_code == 0 and "now a member of staff" in result.output
    assert asyncio.run(db.query("SELECT staff FROM users")) == [(1,)]
    assert runner.invoke(args=["staff", "remove", "chef"]).exit_code == 0
    assert asyncio.run(db.query("SELECT staff FROM users")) == [(0,)]
    result = runner.invoke(args=["staff", "add", "nobody"])
    assert result.exit_code == 1 and "no account is called 'nobody'" in result.output


async def _register(app: Quart, username: str) -> None:
    async with app.test_app():
        await AuthActions(app.test_client()).register(username)


async def test_the_kitchen_is_for_staff(app: Quart, client: Client, staff: Client) -> None:
    response = await client.get("/kitchen")
    assert response.status_code == 303
    assert response.headers["Location"] == "/login?next=/kitchen"
    await AuthActions(client).register("customer")
    assert (await client.get("/kitchen")).status_code == 403
    assert (await client.get("/kitchen/events")).status_code == 403
    assert (await staff.get("/kitchen")).status_code == 200


async def test_staff_see_a_link_to_the_kitchen_while_they_are_staff(
    app: Quart, db: Database
) -> None:
    client = app.test_client()
    auth = AuthActions(client)
    await auth.register("chef")
    link = 'href="/kitchen">Kitchen</a>'
    assert link not in await (await client.get("/")).get_data(as_text=True)
    await db.make_staff("chef")
    await auth.logout()
    await auth.login("chef")
    assert link in await (await client.get("/")).get_data(as_text=True)
    await db.execute("UPDATE users SET staff = 0 WHERE username = 'chef'")
    assert (await client.get("/kitchen")).status_code == 403  # the database decides
    assert link not in await (await client.get("/")).get_data(as_text=True)


async def test_the_board_lists_open_orders_oldest_first(
    orders: OrderActions, staff: Client, db: Database
) -> None:
    first = await orders.place_id(pizza="funghi")
    second = await orders.place_id(pizza="diavola")
    done = await orders.place_id()
    await db.execute("UPDATE orders SET status = 'completed' WHERE id = :id", {"id": done})
    page = await (await staff.get("/kitchen")).get_data(as_text=True)
    assert page.index(f"#{first}") < page.index(f"#{second}")
    assert f"#{done}" not in page
    assert 'data-status="placed"' in page and "Funghi" in page


async def test_staff_move_an_order_through_its_lifecycle(
    orders: OrderActions, staff: Client, db: Database
) -> None:
    order_id = await orders.place_id()
    for status in ("preparing", "baking", "ready", "completed"):
        assert await move(staff, order_id, status) == 303
        assert await status_of(db, order_id) == status
    events = await db.query(
        "SELECT status, actor FROM order_events WHERE order_id = :id ORDER BY id",
        {"id": order_id},
    )  # fmt: skip
    assert events == [("placed", "customer"), ("preparing", "staff"), ("baking", "staff"),
                      ("ready", "staff"), ("completed", "staff")]  # fmt: skip


@pytest.mark.parametrize(
    ("before", "wanted"),
    [
        ("placed", "baking"),
        ("placed", "placed"),
        ("preparing", "placed"),
        ("baking", "cancelled"),
        ("completed", "cancelled"),
        ("cancelled", "preparing"),
        ("ready", "ready"),
    ],  # fmt: skip
)
async def test_a_move_the_lifecycle_forbids_is_409_and_changes_nothing(
    orders: OrderActions, staff: Client, db: Database, before: str, wanted: str
) -> None:
    order_id = await orders.place_id()
    await db.execute("UPDATE orders SET status = :s WHERE id = :id",
                     {"s": before, "id": order_id})  # fmt: skip
    events = await db.query("SELECT count(*) FROM order_events")
    assert await move(staff, order_id, wanted) == 409
    assert await status_of(db, order_id) == before
    assert await db.query("SELECT count(*) FROM order_events") == events


async def test_staff_may_cancel_until_the_oven(
    orders: OrderActions, staff: Client, db: Database
) -> None:
    first, second = await orders.place_id(), await orders.place_id()
    assert await move(staff, first, "cancelled") == 303
    assert await move(staff, second, "preparing") == 303
    assert await move(staff, second, "cancelled") == 303
    assert [await status_of(db, i) for i in (first, second)] == ["cancelled", "cancelled"]


async def test_unknown_orders_bad_statuses_and_customers(
    app: Quart, orders: OrderActions, staff: Client
) -> None:
    order_id = await orders.place_id()
    assert await move(staff, 999, "preparing") == 404
    assert await move(staff, order_id, "burnt") == 400
    customer = app.test_client()
    await AuthActions(customer).register("customer")
    assert await move(customer, order_id, "preparing") == 403


async def test_two_moves_at_once_pass_once(
    app: Quart, orders: OrderActions, staff: Client, db: Database
) -> None:
    order_id = await orders.place_id()
    other = app.test_client()
    await AuthActions(other).register("sous")
    await db.make_staff("sous")
    statuses = await asyncio.gather(move(staff, order_id, "preparing"),
                                     move(other, order_id, "preparing"))  # fmt: skip
    assert sorted(statuses) == [303, 409]
    events = await db.query("SELECT count(*) FROM order_events WHERE status = 'preparing'")
    assert events == [(1,)]
