from quart.typing import TestClientProtocol as Client

from ..database import Database
from ..helpers import AuthActions, OrderActions


async def test_anonymous_is_sent_to_login(client: Client) -> None:
    response = await client.get("/dashboard")
    assert response.status_code == 303
    assert response.headers["Location"] == "/login?next=/dashboard"


async def test_dashboard_shows_session_and_orders(
    client: Client, auth: AuthActions, orders: OrderActions
) -> None:
    await auth.register("carla")
    first = await orders.place_id(pizza="diavola", size="large", quantity="1")
    last = await orders.place_id(pizza="funghi", size="small", quantity="4")
    async with client.session_transaction() as session:
        user_id = session["user_id"]
    response = await client.get("/dashboard")
    html = await response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Hello, carla" in html
    assert f"Customer number {user_id}" in html
    assert f"Order #{last}</a>: 4 × small Funghi" in html  # the last order, from the session
    assert f"#{first}</a>" in html and f"#{last}</a>" in html
    assert html.index(f"#{last}</a></td>") < html.index(f"#{first}</a></td>")  # newest first


async def test_dashboard_lists_only_own_orders(
    client: Client, auth: AuthActions, orders: OrderActions
) -> None:
    await auth.register("dora")
    theirs = await orders.place_id()
    await auth.logout()
    await auth.register("erin")
    html = await (await client.get("/dashboard")).get_data(as_text=True)
    assert f"#{theirs}<" not in html
    assert "You have not ordered yet" in html


async def test_dashboard_pages_through_many_orders(
    client: Client, auth: AuthActions, db: Database
) -> None:
    await auth.register("frank")
    async with client.session_transaction() as session:
        user_id = session["user_id"]
    # Orders 1 to 60: the database draws the ids, as for any order.
    await db.execute(
        """WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 60)
           INSERT INTO orders (user_id) SELECT :user_id FROM n""",
        {"user_id": user_id},
    )
    await db.execute(
        """INSERT INTO order_items (order_id, pizza_id, size, quantity, unit_price_cents)
           SELECT id, 1, 'small', 1, 800 FROM orders"""
    )
    html = await (await client.get("/dashboard")).get_data(as_text=True)
    assert "#60</a>" in html and "#11</a>" in html and "#10</a>" not in html
    assert 'href="/dashboard?before=11"' in html
    html = await (await client.get("/dashboard?before=11")).get_data(as_text=True)
    assert "#10</a>" in html and "#1</a>" in html and "#11</a>" not in html
    assert "Older orders" not in html
    for bad in ("abc", "-5", "0"):
        assert (await client.get(f"/dashboard?before={bad}")).status_code == 200
