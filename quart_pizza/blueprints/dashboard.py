"""`/dashboard`: the logged-in customer's page."""

from typing import Final
from urllib.parse import urlencode

from quart import Blueprint, render_template, request, url_for
from quart.typing import ResponseReturnValue

from ..models.order import MAX_ORDER_ID
from ..store import get_store
from ..web.redirects import see_other
from ..web.sessions import current_user_id, last_order_id

bp = Blueprint("dashboard", __name__)

PAGE_SIZE: Final = 50


@bp.get("/dashboard")
async def index() -> ResponseReturnValue:
    user_id = current_user_id()
    if user_id is None:
        return see_other(url_for("auth.login") + "?" + urlencode({"next": request.path}, safe="/"))
    before = request.args.get("before", type=int)
    if before is not None and not 1 <= before <= MAX_ORDER_ID:
        before = None  # no order id is outside that range: show the newest page
    orders, last_order = await get_store().dashboard(
        user_id, last_order_id(), before=before, limit=PAGE_SIZE + 1
    )
    return await render_template(
        "dashboard.html",
        orders=orders[:PAGE_SIZE],
        older=orders[PAGE_SIZE - 1].id if len(orders) > PAGE_SIZE else None,
        last_order=last_order,
    )
