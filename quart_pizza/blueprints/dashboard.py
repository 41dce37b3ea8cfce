"""`/dashboard`: the logged-in customer's page."""

from typing import Final
from urllib.parse import urlencode

from quart import Blueprint, render_template, request, url_for
from quart.typing import ResponseReturnValue

from ..db import get_db
from ..models.order import select_order, select_orders_for_user
from ..redirects import see_other
from ..sessions import current_user_id, last_order_id

bp = Blueprint("dashboard", __name__)

PAGE_SIZE: Final = 50


@bp.get("/dashboard")
async def index() -> ResponseReturnValue:
    user_id = current_user_id()
    if user_id is None:
        return see_other(url_for("auth.login") + "?" + urlencode({"next": request.path}, safe="/"))
    before = request.args.get("before", type=int)
    if before is not None and before < 1:
        before = None
    order_id = last_order_id()
    async with get_db().read() as conn:
        orders = await select_orders_for_user(conn, user_id, before=before, limit=PAGE_SIZE + 1)
        last_order = None if order_id is None else await select_order(conn, order_id)
    if last_order is not None and last_order.user_id != user_id:
        last_order = None
    return await render_template(
        "dashboard.html",
        orders=orders[:PAGE_SIZE],
        older=orders[PAGE_SIZE - 1].id if len(orders) > PAGE_SIZE else None,
        last_order=last_order,
    )
