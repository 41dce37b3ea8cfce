"""`/dashboard`: the logged-in customer's page: orders, last order and sessions."""

from typing import Final

from quart import Blueprint, render_template, request
from quart.typing import ResponseReturnValue

from ..models.order import MAX_ORDER_ID
from ..store import get_store
from ..web.sessions import last_order_id, login_required

bp = Blueprint("dashboard", __name__)

PAGE_SIZE: Final = 50


@bp.get("/dashboard")
async def index() -> ResponseReturnValue:
    owner = login_required()
    before = request.args.get("before", type=int)
    if before is not None and not 1 <= before <= MAX_ORDER_ID:
        before = None  # no order id is outside that range: show the newest page
    orders, last_order, logins = await get_store().dashboard(
        owner, last_order_id(), before=before, limit=PAGE_SIZE + 1
    )
    return await render_template(
        "dashboard.html",
        orders=orders[:PAGE_SIZE],
        older=orders[PAGE_SIZE - 1].id if len(orders) > PAGE_SIZE else None,
        last_order=last_order,
        logins=logins,
    )
